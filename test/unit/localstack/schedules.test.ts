import { describe, expect, it, vi } from 'vitest';
import type { LocalLambda } from '#localstack/runtime/lambda';
import { FunctionStartError } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { fireScheduleInBackground, type Schedule } from '#localstack/runtime/schedules';

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
