import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from '#platform/circuit-breaker';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const boom = () => Promise.reject(new Error('provider down'));
const ok = () => Promise.resolve('ok');

/** Runs `times` failing calls, swallowing their errors. */
async function failTimes(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(boom).catch(() => undefined);
}

function breakerWith(
  clock: ReturnType<typeof manualClock>,
  extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {},
) {
  return new CircuitBreaker({ name: 'mock-email', now: clock.now, ...extra });
}

describe('Class: CircuitBreaker', () => {
  it('passes results and errors of calls through while closed', async () => {
    // Prepare
    const breaker = breakerWith(manualClock());

    // Act
    const result = await breaker.execute(ok);
    const failure = breaker.execute(boom);

    // Assess
    expect(result).toBe('ok');
    await expect(failure).rejects.toThrow('provider down');
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.recentFailures).toBe(1);
  });

  it('stays closed after four failures within the window', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);

    // Act
    await failTimes(breaker, 4);

    // Assess
    expect(breaker.state).toBe('CLOSED');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('opens on the fifth failure within 60 seconds and then fails fast without calling', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    for (let i = 0; i < 5; i++) {
      await breaker.execute(boom).catch(() => undefined);
      clock.advance(14_000);
    }
    const operation = vi.fn(ok);

    // Act
    const refused = breaker.execute(operation);

    // Assess
    expect(breaker.state).toBe('OPEN');
    await expect(refused).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(refused).rejects.toMatchObject({ circuit: 'mock-email', retryable: true });
    expect(operation).not.toHaveBeenCalled();
  });

  it('forgets failures older than the window', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    await failTimes(breaker, 4);
    clock.advance(60_000);

    // Act
    await failTimes(breaker, 1);

    // Assess
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.recentFailures).toBe(1);
  });

  it('does not count errors that isFailure excludes', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock, { isFailure: (error) => !(error instanceof RangeError) });

    // Act
    for (let i = 0; i < 10; i++) {
      await breaker.execute(() => Promise.reject(new RangeError('bad recipient'))).catch(() => undefined);
    }

    // Assess
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.recentFailures).toBe(0);
  });

  it('reports how long it stays open', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    await failTimes(breaker, 5);
    clock.advance(10_000);

    // Act
    const error = await breaker.execute(ok).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAfterMs).toBe(20_000);
    expect((error as CircuitOpenError).message).toContain('mock-email');
  });

  it('becomes half-open after 30 seconds and closes when the trial call succeeds', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    await failTimes(breaker, 5);
    clock.advance(29_999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);

    // Act
    const stateBefore = breaker.state;
    const result = await breaker.execute(ok);

    // Assess
    expect(stateBefore).toBe('HALF_OPEN');
    expect(result).toBe('ok');
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.recentFailures).toBe(0);
  });

  it('lets exactly one trial call through while half-open', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    await failTimes(breaker, 5);
    clock.advance(30_000);
    let finishTrial: (value: string) => void = () => undefined;
    const trial = breaker.execute(
      () =>
        new Promise<string>((resolve) => {
          finishTrial = resolve;
        }),
    );
    const second = vi.fn(ok);

    // Act
    const refused = breaker.execute(second);

    // Assess
    await expect(refused).rejects.toMatchObject({ name: 'CircuitOpenError', retryAfterMs: 0 });
    expect(second).not.toHaveBeenCalled();
    finishTrial('trial ok');
    await expect(trial).resolves.toBe('trial ok');
    expect(breaker.state).toBe('CLOSED');
  });

  it('opens again for 30 seconds when the trial call fails', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    await failTimes(breaker, 5);
    clock.advance(30_000);

    // Act
    await expect(breaker.execute(boom)).rejects.toThrow('provider down');

    // Assess
    expect(breaker.state).toBe('OPEN');
    clock.advance(29_999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('closes when the trial call fails with an error that does not count', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock, { isFailure: (error) => !(error instanceof RangeError) });
    await failTimes(breaker, 5);
    clock.advance(30_000);

    // Act
    const trial = breaker.execute(() => Promise.reject(new RangeError('bad recipient')));

    // Assess
    await expect(trial).rejects.toBeInstanceOf(RangeError);
    expect(breaker.state).toBe('CLOSED');
  });

  it('counts a fresh window of five failures after closing again', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    await failTimes(breaker, 5);
    clock.advance(30_000);
    await breaker.execute(ok);

    // Act
    await failTimes(breaker, 4);
    const afterFour = breaker.state;
    await failTimes(breaker, 1);

    // Assess
    expect(afterFour).toBe('CLOSED');
    expect(breaker.state).toBe('OPEN');
  });

  it('ignores failures of calls admitted before the circuit opened', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock);
    let failLate: (error: Error) => void = () => undefined;
    const late = breaker.execute(
      () =>
        new Promise<string>((_resolve, reject) => {
          failLate = reject;
        }),
    );
    await failTimes(breaker, 5);
    clock.advance(30_000);

    // Act
    failLate(new Error('late failure'));

    // Assess
    await expect(late).rejects.toThrow('late failure');
    expect(breaker.state).toBe('HALF_OPEN');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('reports every state change', async () => {
    // Prepare
    const clock = manualClock();
    const changes: [CircuitState, CircuitState][] = [];
    const breaker = breakerWith(clock, { onStateChange: ({ from, to }) => changes.push([from, to]) });

    // Act
    await failTimes(breaker, 5);
    clock.advance(30_000);
    await breaker.execute(boom).catch(() => undefined);
    clock.advance(30_000);
    await breaker.execute(ok);

    // Assess
    expect(changes).toEqual([
      ['CLOSED', 'OPEN'],
      ['OPEN', 'HALF_OPEN'],
      ['HALF_OPEN', 'OPEN'],
      ['OPEN', 'HALF_OPEN'],
      ['HALF_OPEN', 'CLOSED'],
    ]);
  });

  it('honours custom thresholds', async () => {
    // Prepare
    const clock = manualClock();
    const breaker = breakerWith(clock, { failureThreshold: 2, windowMs: 1_000, openMs: 500 });

    // Act
    await failTimes(breaker, 2);
    const opened = breaker.state;
    clock.advance(500);

    // Assess
    expect(opened).toBe('OPEN');
    expect(breaker.state).toBe('HALF_OPEN');
  });

  it('rejects invalid settings', () => {
    // Prepare
    const clock = manualClock();

    // Act
    const settings = [{ failureThreshold: 0 }, { failureThreshold: 1.5 }, { windowMs: 0 }, { openMs: -1 }];

    // Assess
    for (const extra of settings) {
      expect(() => breakerWith(clock, extra), JSON.stringify(extra)).toThrow(RangeError);
    }
  });
});
