/**
 * The per-order bill of a bench run: what one order costs in billable units (DynamoDB request units,
 * Lambda invocations and duration, Kafka messages and bytes, Step Functions transitions, log bytes),
 * measured on the local runtime. `npm run bench -- --json <file>` writes it; `npm run cost` prices it.
 */
import type { DynamoUsage, Units } from '../localstack/runtime/dynamo-meter';
import type { LocalRuntime } from '../localstack/runtime/runtime';
import type { CpuPerOrder } from './cpu';
import type { HopReport } from './hops';

/** One function's share of an order. */
export interface FunctionProfile {
  /** Stack name and logical id in the template (how `npm run cost` finds its memory). */
  stack: string;
  logicalId: string;
  memoryMb: number;
  /** Invocations per order, scheduled ones included. */
  invocations: number;
  /** Of those, invocations per order by an EventBridge schedule (priced as a monthly floor instead). */
  scheduledInvocations: number;
  /** Mean duration of an invocation on this machine, milliseconds. */
  meanDurationMs: number;
  /** Bytes of log lines per order. */
  logBytes: number;
}

export interface TopicProfile {
  messages: number;
  /** Key, value and header bytes per order. */
  bytes: number;
  /** Event source mappings that read the topic (each reads every byte once). */
  consumerGroups: number;
}

/** Per-order quantities; every number is a mean over the settled orders of the run. */
export interface PerOrder {
  dynamodb: {
    /** Billed write and read request units, index writes included, external tables (the mock PSP) not. */
    writeUnits: number;
    readUnits: number;
    itemWrites: number;
    itemReads: number;
    byPurpose: Record<string, Units>;
    /** By `<stack>/<table>` and, for indexes, `<stack>/<table>/<index>`. */
    byTable: Record<string, Units>;
    requests: Record<string, number>;
  };
  lambda: {
    invocations: number;
    byFunction: Record<string, FunctionProfile>;
  };
  kafka: {
    messages: number;
    bytes: number;
    byTopic: Record<string, TopicProfile>;
  };
  stepFunctions: { executions: number; transitions: number };
  apiGateway: { requests: number };
  logs: { bytes: number };
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** What `npm run bench -- --json <file>` writes. */
export interface BenchReport {
  kind: 'order-saga-bench';
  version: 1;
  /** How and where the run was made, when someone wrote it down (the committed profile has one). */
  note?: string;
  /** ISO time the run ended. */
  date: string;
  machine: { cpus: number; node: string; platform: string };
  orders: number;
  concurrency: number;
  timeScale: number;
  /** Share of the orders placed with the pending-payment token (`tok_pending`). */
  pendingShare: number;
  accepted: number;
  settled: number;
  confirmed: number;
  elapsedMs: number;
  /** Orders per second to a terminal state. */
  throughput: number;
  latencyMs: { createOrder: Percentiles; sagaCompletion: Percentiles };
  /**
   * Per-hop latency by topic (`bench/hops.ts`): commit → publish and publish → consume, from the
   * events' timestamps. Absent in reports written before it was measured.
   */
  hopsMs?: HopReport;
  perOrder: PerOrder;
  /** CPU of one order on the bench machine, by component (`bench/cpu.ts`). Absent in older reports. */
  cpu?: CpuPerOrder;
}

/** Counters of a running local stack at one moment. */
export interface Counters {
  dynamo: DynamoUsage | undefined;
  functions: Record<
    string,
    {
      stack: string;
      logicalId: string;
      memoryMb: number;
      invocations: number;
      durationMs: number;
      scheduled: number;
      logBytes: number;
    }
  >;
  kafka: Record<string, { messages: number; bytes: number }>;
  stepFunctions: { executions: number; transitions: number };
}

/** `OrderSaga-dev-Orders-CreateOrder18B1EE4A-...` style names without the app and stage prefix. */
export const shortFunctionName = (name: string): string => name.replace(/^OrderSaga-[a-z0-9-]+?-/, '');

/** Reads the counters of `runtime`; `kafka` comes from the caller's observer. */
export function readCounters(
  runtime: LocalRuntime,
  kafka: Record<string, { messages: number; bytes: number }>,
): Counters {
  const functions: Counters['functions'] = {};
  for (const fn of runtime.functions.values()) {
    const located = runtime.stacks.find((stack) => fn.definition.logicalId in stack.resources);
    functions[shortFunctionName(fn.definition.name)] = {
      stack: located?.stackName ?? '',
      logicalId: fn.definition.logicalId,
      memoryMb: fn.definition.memoryMb,
      invocations: fn.invocations,
      durationMs: fn.durationMs,
      scheduled: runtime.schedules
        .filter((schedule) => schedule.fn === fn)
        .reduce((sum, schedule) => sum + (schedule.fired ?? 0), 0),
      logBytes: runtime.logs.bytesBySource.get(fn.definition.name) ?? 0,
    };
  }
  const executions = [...(runtime.stepFunctions?.executions.values() ?? [])];
  return {
    dynamo: runtime.meter?.snapshot(),
    functions,
    kafka: structuredClone(kafka),
    stepFunctions: {
      executions: executions.length,
      transitions: executions.reduce((sum, execution) => sum + execution.transitions, 0),
    },
  };
}

const round = (value: number, digits = 3): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

const unitsPer = (units: Units, orders: number): Units => ({
  write: round(units.write / orders),
  read: round(units.read / orders),
});

/**
 * The per-order quantities between two readings, divided by `orders`. `usage` is the meter's
 * `since(before)`; `consumerGroups` counts the mappings per topic; `apiRequests` the API calls made.
 */
export function perOrderBetween(
  before: Counters,
  after: Counters,
  usage: DynamoUsage | undefined,
  options: { orders: number; consumerGroups: Record<string, number>; apiRequests: number },
): PerOrder {
  const orders = Math.max(1, options.orders);
  const byFunction: Record<string, FunctionProfile> = {};
  for (const [name, now] of Object.entries(after.functions)) {
    const then = before.functions[name];
    const invocations = now.invocations - (then?.invocations ?? 0);
    const logBytes = now.logBytes - (then?.logBytes ?? 0);
    if (invocations === 0 && logBytes === 0) continue;
    const durationMs = now.durationMs - (then?.durationMs ?? 0);
    byFunction[name] = {
      stack: now.stack,
      logicalId: now.logicalId,
      memoryMb: now.memoryMb,
      invocations: round(invocations / orders, 4),
      scheduledInvocations: round((now.scheduled - (then?.scheduled ?? 0)) / orders, 4),
      meanDurationMs: round(invocations === 0 ? 0 : durationMs / invocations, 1),
      logBytes: round(logBytes / orders, 1),
    };
  }
  const byTopic: Record<string, TopicProfile> = {};
  for (const [topic, now] of Object.entries(after.kafka)) {
    const then = before.kafka[topic];
    byTopic[topic] = {
      messages: round((now.messages - (then?.messages ?? 0)) / orders),
      bytes: round((now.bytes - (then?.bytes ?? 0)) / orders, 1),
      consumerGroups: options.consumerGroups[topic] ?? 0,
    };
  }
  const sum = <T>(values: T[], of: (value: T) => number) => values.reduce((n, value) => n + of(value), 0);
  const functions = Object.values(byFunction);
  const topics = Object.values(byTopic);
  return {
    dynamodb: {
      writeUnits: round((usage?.units.write ?? 0) / orders),
      readUnits: round((usage?.units.read ?? 0) / orders),
      itemWrites: round((usage?.itemWrites ?? 0) / orders),
      itemReads: round((usage?.itemReads ?? 0) / orders),
      byPurpose: Object.fromEntries(
        Object.entries(usage?.byPurpose ?? {}).map(([purpose, units]) => [purpose, unitsPer(units, orders)]),
      ),
      byTable: Object.fromEntries(
        Object.entries(usage?.byTable ?? {})
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([table, units]) => [table, unitsPer(units, orders)]),
      ),
      requests: Object.fromEntries(
        Object.entries(usage?.requests ?? {}).map(([operation, n]) => [operation, round(n / orders)]),
      ),
    },
    lambda: {
      invocations: round(
        sum(functions, (fn) => fn.invocations),
        4,
      ),
      byFunction,
    },
    kafka: {
      messages: round(sum(topics, (topic) => topic.messages)),
      bytes: round(
        sum(topics, (topic) => topic.bytes),
        1,
      ),
      byTopic,
    },
    stepFunctions: {
      executions: round((after.stepFunctions.executions - before.stepFunctions.executions) / orders, 4),
      transitions: round((after.stepFunctions.transitions - before.stepFunctions.transitions) / orders, 4),
    },
    apiGateway: { requests: round(options.apiRequests / orders, 4) },
    logs: {
      bytes: round(
        sum(functions, (fn) => fn.logBytes),
        1,
      ),
    },
  };
}

const units = (value: Units) => `${value.write.toFixed(2)} W / ${value.read.toFixed(2)} R`;
const bytes = (value: number) =>
  value >= 1024 ? `${(value / 1024).toFixed(1)} KB` : `${value.toFixed(0)} B`;

/** The per-order breakdown as console lines (two-space indented detail lines under a heading each). */
export function formatPerOrder(perOrder: PerOrder): string[] {
  const lines: string[] = [];
  const { dynamodb, lambda, kafka, stepFunctions, logs } = perOrder;
  lines.push(
    `DynamoDB per order     ${dynamodb.writeUnits.toFixed(2)} write units, ${dynamodb.readUnits.toFixed(2)} read units (on-demand, index writes included, mock PSP tables excluded)`,
  );
  for (const [purpose, value] of Object.entries(dynamodb.byPurpose).sort(
    (a, b) => b[1].write + b[1].read - (a[1].write + a[1].read),
  ))
    lines.push(`  ${purpose.padEnd(46)} ${units(value)}`);
  lines.push('  by table (W / R)');
  for (const [table, value] of Object.entries(dynamodb.byTable))
    lines.push(`  ${table.padEnd(46)} ${units(value)}`);
  lines.push(
    `Lambda per order       ${lambda.invocations.toFixed(2)} invocations (invocations × mean duration here, log bytes)`,
  );
  for (const [name, fn] of Object.entries(lambda.byFunction).sort(
    (a, b) => b[1].invocations - a[1].invocations,
  ))
    lines.push(
      `  ${name.padEnd(46)} ${fn.invocations.toFixed(3)} × ${fn.meanDurationMs.toFixed(0)} ms${fn.scheduledInvocations > 0 ? ` (${fn.scheduledInvocations.toFixed(3)} scheduled)` : ''}, ${bytes(fn.logBytes)} logs`,
    );
  lines.push(`Kafka per order        ${kafka.messages.toFixed(2)} messages, ${bytes(kafka.bytes)} produced`);
  for (const [topic, value] of Object.entries(kafka.byTopic))
    lines.push(
      `  ${topic.padEnd(46)} ${value.messages.toFixed(2)} messages, ${bytes(value.bytes)}, read by ${value.consumerGroups} mapping(s)`,
    );
  lines.push(
    `Step Functions         ${stepFunctions.executions.toFixed(3)} executions, ${stepFunctions.transitions.toFixed(3)} state transitions per order`,
  );
  lines.push(`Logs per order         ${bytes(logs.bytes)} of function log lines`);
  return lines;
}
