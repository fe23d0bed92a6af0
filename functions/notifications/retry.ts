import { backoffDelayMs } from '#platform/backoff';
import { type CircuitBreaker, CircuitOpenError } from '#platform/circuit-breaker';
import { type NotificationMessage, type NotificationProvider, ProviderError } from './provider';

export interface RetryPolicy {
  /** Provider calls in total, the first one included. */
  readonly maxAttempts: number;
  /** Ceiling of the first backoff; doubles per retry (full jitter picks a delay below it). */
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_BASE_DELAY_MS = 100;

/** Longest reason a NotificationFailed event carries. */
const MAX_REASON_LENGTH = 1024;

export type SendOutcome =
  | { kind: 'SENT'; providerMessageId: string; attempts: number }
  /** `permanent`: the provider refused the message; otherwise every attempt failed transiently. */
  | { kind: 'FAILED'; reason: string; attempts: number; permanent: boolean };

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Whether an error says something about the provider's health (a refused recipient does not). */
export function countsAgainstProvider(error: unknown): boolean {
  return !(error instanceof ProviderError && !error.retryable);
}

/**
 * Sends one message through the provider's circuit breaker: transient failures (a retryable
 * `ProviderError` or any unexpected error) are retried with exponential backoff and full jitter up to
 * `maxAttempts` calls; a permanent `ProviderError` ends the attempt at once. Both end as `FAILED`.
 *
 * A `CircuitOpenError` is thrown, not returned: the provider was not asked, so nothing is known
 * about the message and the caller must try again later. The call counter passed to the provider
 * lives here, per message and per call of this function.
 */
export async function sendWithRetries(
  provider: NotificationProvider,
  breaker: CircuitBreaker,
  message: NotificationMessage,
  policy: RetryPolicy,
): Promise<SendOutcome> {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${policy.maxAttempts}`);
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 1) await policy.sleep(backoffDelayMs(attempt - 1, policy));
    try {
      const receipt = await breaker.execute(() => provider.send(message, { attempt }));
      return { kind: 'SENT', providerMessageId: receipt.providerMessageId, attempts: attempt };
    } catch (error) {
      if (error instanceof CircuitOpenError) throw error;
      if (error instanceof ProviderError && !error.retryable) {
        return { kind: 'FAILED', reason: reasonOf(error), attempts: attempt, permanent: true };
      }
      lastError = error;
    }
  }
  return {
    kind: 'FAILED',
    reason: reasonOf(lastError, `after ${policy.maxAttempts} attempts: `),
    attempts: policy.maxAttempts,
    permanent: false,
  };
}

function reasonOf(error: unknown, prefix = ''): string {
  const reason = `${prefix}${messageOf(error)}`.trim();
  return (reason === '' ? 'unknown provider error' : reason).slice(0, MAX_REASON_LENGTH);
}
