import { randomUUID } from 'node:crypto';
import type { LocalFunctions } from './functions';
import type { InvokeResult, LocalLambda } from './lambda';
import type { LogSink } from './logs';
import type { Resolver } from './resolve';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './resolve';
import { resourcesOfType, type StackTemplate } from './template';

/** One target of an EventBridge schedule rule, fired by a timer. */
export interface Schedule {
  logicalId: string;
  /** Period after the time scale was applied. */
  periodMs: number;
  fn: LocalLambda;
  ruleArn: string;
  timer?: NodeJS.Timeout;
  /** How many times the schedule fired its function. */
  fired?: number;
}

/** The period of a `rate(N unit)` expression; undefined for anything else (cron expressions). */
export function ratePeriodMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]?.startsWith('minute')
    ? 60_000
    : match[2]?.startsWith('hour')
      ? 3_600_000
      : 86_400_000;
  return Number(match[1]) * unit;
}

/**
 * The function targets of the enabled `rate(...)` rules of the templates (`AWS::Events::Rule`),
 * their period divided by `timeScale`. Timers are not started here.
 */
export function schedulesFromTemplate(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  functions: LocalFunctions,
  timeScale: number,
): Schedule[] {
  const schedules: Schedule[] = [];
  for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::Events::Rule')) {
    const expression = resource.Properties?.ScheduleExpression;
    const periodMs = typeof expression === 'string' ? ratePeriodMs(expression) : undefined;
    if (!periodMs || resource.Properties?.State === 'DISABLED') continue;
    for (const target of (resource.Properties?.Targets ?? []) as { Arn: unknown }[]) {
      const fn = functions.get(resolver.resolve(stack, target.Arn));
      if (!fn) continue;
      schedules.push({
        logicalId,
        periodMs: periodMs / timeScale,
        fn,
        ruleArn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${logicalId}`,
      });
    }
  }
  return schedules;
}

/** A schedule for firing `fn` by hand when no rule targets it (or schedules are not running). */
export function manualSchedule(fn: LocalLambda): Schedule {
  return {
    logicalId: 'manual',
    periodMs: 0,
    fn,
    ruleArn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/manual`,
  };
}

/** Invokes the schedule's function with EventBridge's "Scheduled Event"; a failure is logged and returned. */
export async function fireSchedule(schedule: Schedule, logs: LogSink): Promise<InvokeResult> {
  schedule.fired = (schedule.fired ?? 0) + 1;
  const result = await schedule.fn.invoke({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [schedule.ruleArn],
    detail: {},
  });
  if (!result.ok)
    logs.write('scheduler', `${schedule.logicalId}: ${result.error.errorType}: ${result.error.errorMessage}`);
  return result;
}

/**
 * Fires a schedule from its timer: nothing awaits the invocation, so an invocation that cannot even
 * start (the function failed to initialize, or is stopped) is logged instead of becoming an
 * unhandled rejection that would end the process.
 */
export function fireScheduleInBackground(schedule: Schedule, logs: LogSink): Promise<void> {
  return fireSchedule(schedule, logs).then(
    () => undefined,
    (error: unknown) => {
      logs.write(
        'scheduler',
        `${schedule.logicalId}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    },
  );
}

/**
 * Starts a timer per schedule; like EventBridge, a slow invocation does not delay the next one. The
 * schedules' phases are spread over their period, as EventBridge's rules each fire at a phase of
 * their own: the n-th of N schedules fires first after n/N of its period, then every period, so the
 * schedules never all fire at once (ten invocations together on a small machine hold up whatever
 * else is running).
 */
export function startSchedules(schedules: readonly Schedule[], logs: LogSink): void {
  schedules.forEach((schedule, index) => {
    const fire = () => void fireScheduleInBackground(schedule, logs);
    const firstAfterMs = (schedule.periodMs * (index + 1)) / schedules.length;
    schedule.timer = setTimeout(() => {
      fire();
      schedule.timer = setInterval(fire, schedule.periodMs);
    }, firstAfterMs);
  });
}

export function stopSchedules(schedules: readonly Schedule[]): void {
  for (const schedule of schedules) {
    clearTimeout(schedule.timer);
    clearInterval(schedule.timer);
  }
}
