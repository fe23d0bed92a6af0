import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff, backoffDelayMs, sleep } from '#platform/backoff';

const ALMOST_ONE = () => 0.999_999;

describe('Function: backoffDelayMs', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('doubles the ceiling per retry and draws the delay below it (full jitter)', () => {
    // Prepare
    const policy = { baseDelayMs: 100, random: ALMOST_ONE };

    // Act
    const delays = [1, 2, 3, 4].map((retry) => backoffDelayMs(retry, policy));

    // Assess
    expect(delays).toEqual([99, 199, 399, 799]);
  });

  it('scales the delay with the random draw below the ceiling', () => {
    // Prepare
    const policy = { baseDelayMs: 100, maxDelayMs: 2_000, random: () => 0.5 };

    // Act
    const delays = [1, 2, 3].map((retry) => backoffDelayMs(retry, policy));

    // Assess
    expect(delays).toEqual([50, 100, 200]);
  });

  it('caps the ceiling at maxDelayMs', () => {
    // Prepare
    const policy = { baseDelayMs: 100, maxDelayMs: 2_000, random: ALMOST_ONE };

    // Act
    const delays = [5, 6, 10, 60].map((retry) => backoffDelayMs(retry, policy));

    // Assess
    expect(delays).toEqual([1_599, 1_999, 1_999, 1_999]);
  });

  it('grows without a cap when maxDelayMs is not set', () => {
    // Prepare
    const policy = { baseDelayMs: 20, random: ALMOST_ONE };

    // Act
    const delay = backoffDelayMs(11, policy);

    // Assess
    expect(delay).toBe(20_479);
  });

  it('can be zero when the random draw is 0', () => {
    // Prepare
    const policy = { baseDelayMs: 100, maxDelayMs: 2_000, random: () => 0 };

    // Act
    const delays = [1, 3, 10].map((retry) => backoffDelayMs(retry, policy));

    // Assess
    expect(delays).toEqual([0, 0, 0]);
  });

  it('uses the first ceiling for a retry number below 1', () => {
    // Prepare
    const policy = { baseDelayMs: 100, random: ALMOST_ONE };

    // Act
    const delays = [0, -3].map((retry) => backoffDelayMs(retry, policy));

    // Assess
    expect(delays).toEqual([99, 99]);
  });

  it('draws from Math.random when the policy has no random source', () => {
    // Prepare
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.25);

    // Act
    const delay = backoffDelayMs(2, { baseDelayMs: 100 });

    // Assess
    expect(delay).toBe(50);
    expect(random).toHaveBeenCalledTimes(1);
  });
});

describe('Function: backoff', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits the full-jitter delay of the retry before it resolves', async () => {
    // Prepare
    vi.useFakeTimers();
    let done = false;

    // Act
    const waiting = backoff(3, { baseDelayMs: 100, random: () => 0.5 }).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(199);
    const before = done;
    await vi.advanceTimersByTimeAsync(1);
    await waiting;

    // Assess
    expect(before).toBe(false);
    expect(done).toBe(true);
  });
});

describe('Function: sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the given milliseconds, not before', async () => {
    // Prepare
    vi.useFakeTimers();
    let done = false;

    // Act
    const waiting = sleep(1_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    const before = done;
    await vi.advanceTimersByTimeAsync(1);
    await waiting;

    // Assess
    expect(before).toBe(false);
    expect(done).toBe(true);
  });
});
