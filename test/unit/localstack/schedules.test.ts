import { describe, expect, it, vi } from 'vitest';
import type { LocalLambda } from '#localstack/runtime/lambda';
import { FunctionStartError } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import {
  fireScheduleInBackground,
  type Schedule,
  startSchedules,
  stopSchedules,
} from '#localstack/runtime/schedules';

const scheduleOf = (invoke: () => Promise<unknown>): Schedule => ({
  logicalId: 'Sweeper',
  periodMs: 1_000,
  fn: { invoke } as unknown as LocalLambda,
  ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/Sweeper',
});

describe('Function: fireScheduleInBackground', () => {
  it('logs an invocation that cannot start instead of rejecting', async () => {
    // Prepare
    const logs = new LogSink(undefined, false);
    const write = vi.spyOn(logs, 'write');
    const schedule = scheduleOf(() => Promise.reject(new FunctionStartError('sweeper failed to initialize')));

    // Act
    const fired = fireScheduleInBackground(schedule, logs);

    // Assess
    await expect(fired).resolves.toBeUndefined();
    expect(write).toHaveBeenCalledWith(
      'scheduler',
      'Sweeper: FunctionStartError: sweeper failed to initialize',
    );
  });

  it('logs a function error as before', async () => {
    // Prepare
    const logs = new LogSink(undefined, false);
    const write = vi.spyOn(logs, 'write');
    const schedule = scheduleOf(() =>
      Promise.resolve({ ok: false, error: { errorType: 'Error', errorMessage: 'boom' } }),
    );

    // Act
    await fireScheduleInBackground(schedule, logs);

    // Assess
    expect(write).toHaveBeenCalledWith('scheduler', 'Sweeper: Error: boom');
  });
});

describe('Function: startSchedules', () => {
  it('spreads the schedules over their period, so they never fire all at once', async () => {
    // Prepare
    vi.useFakeTimers();
    const fired: string[] = [];
    const schedules = ['A', 'B', 'C'].map((name) => ({
      ...scheduleOf(async () => {
        fired.push(name);
        return { ok: true, payload: null };
      }),
      logicalId: name,
      periodMs: 3_000,
    }));
    const logs = new LogSink(undefined, false);

    // Act
    try {
      startSchedules(schedules, logs);
      const seen: string[][] = [];
      for (let second = 1; second <= 6; second++) {
        await vi.advanceTimersByTimeAsync(1_000);
        seen.push(fired.splice(0));
      }

      // Assess: one schedule a second, each every 3 s.
      expect(seen).toEqual([['A'], ['B'], ['C'], ['A'], ['B'], ['C']]);
      stopSchedules(schedules);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      stopSchedules(schedules);
      vi.useRealTimers();
    }
  });
});
