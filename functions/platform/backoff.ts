/**
 * Exponential backoff with full jitter (a delay drawn uniformly below a ceiling that doubles per
 * retry), the one backoff every retry loop of the platform uses.
 */
export interface BackoffPolicy {
  /** Ceiling of the first backoff. */
  readonly baseDelayMs: number;
  /** Largest ceiling. @default unbounded */
  readonly maxDelayMs?: number;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The delay before retry number `retry` (1-based): uniform in [0, min(max, base·2^(retry-1))). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy): number {
  const ceiling = Math.min(
    policy.maxDelayMs ?? Number.POSITIVE_INFINITY,
    policy.baseDelayMs * 2 ** Math.max(0, retry - 1),
  );
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits the full-jitter backoff before retry number `retry` (1-based). */
export const backoff = (retry: number, policy: BackoffPolicy): Promise<void> =>
  sleep(backoffDelayMs(retry, policy));
