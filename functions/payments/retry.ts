import { backoffDelayMs } from '#platform/backoff';
import {
  type AuthorizationRequest,
  type AuthorizationResult,
  type PaymentProvider,
  PspTransientError,
} from './provider';

export interface RetryPolicy {
  /** Calls in total, the first one included. */
  maxAttempts: number;
  /** Ceiling of the first backoff; doubles per retry (full jitter picks a delay below it). */
  baseDelayMs: number;
  /** Largest backoff ceiling. */
  maxDelayMs: number;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export type AuthorizeAttempt =
  | { kind: 'result'; result: AuthorizationResult; attempts: number }
  | { kind: 'transient'; error: PspTransientError; attempts: number };

/**
 * Authorizes with short in-call retries: transient errors are retried with exponential backoff and
 * full jitter, up to `maxAttempts` calls, always with the paymentId as the idempotency key. Returns the
 * PSP's answer (final or PENDING) or the last transient error; a `PspRejectedError` is thrown at once.
 */
export async function authorizeWithRetries(
  provider: PaymentProvider,
  request: AuthorizationRequest,
  policy: RetryPolicy,
): Promise<AuthorizeAttempt> {
  let lastError: PspTransientError | undefined;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 1) await policy.sleep(backoffDelayMs(attempt - 1, policy));
    try {
      const result = await provider.authorize(request, {
        idempotencyKey: request.paymentId,
        timeoutMs: policy.timeoutMs,
      });
      return { kind: 'result', result, attempts: attempt };
    } catch (error) {
      if (!(error instanceof PspTransientError)) throw error;
      lastError = error;
    }
  }
  return {
    kind: 'transient',
    error: lastError ?? new PspTransientError('No authorization attempt was made'),
    attempts: policy.maxAttempts,
  };
}
