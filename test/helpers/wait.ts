export interface WaitForOptions {
  /** Give up after this long; default 10 000 ms. */
  timeoutMs?: number;
  /** Pause between attempts; default 100 ms. */
  intervalMs?: number;
  /** Names the awaited condition in the timeout error. */
  description?: string;
}

/** Thrown by {@link waitFor} when the condition does not hold before the deadline; `cause` is the last failure. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

const describeFailure = (failure: unknown): string => {
  if (failure === undefined) return 'the condition returned a falsy value';
  if (failure instanceof Error) return `${failure.name}: ${failure.message}`;
  return String(failure);
};

/**
 * Calls `fn` until it returns a truthy value without throwing, and resolves with that value. After
 * `timeoutMs` it throws a {@link WaitTimeoutError} naming the last failure (an error thrown, or a falsy result).
 */
export const waitFor = async <T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, description = 'condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> => {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let lastFailure: unknown;
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastFailure = error;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `${description} not met within ${timeoutMs} ms (${attempts} attempts); last failure: ${describeFailure(lastFailure)}`,
        lastFailure === undefined ? undefined : { cause: lastFailure },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};
