import { backoffDelayMs } from '#platform/backoff';
import {
  type AuthorizationRequest,
  type PaymentProvider,
  PspCircuitOpenError,
  type PspPayment,
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

/** The PSP's answer, or the last transient error; `attempts` counts the calls made. */
export type AuthorizeAttempt =
  | { kind: 'result'; result: PspPayment; attempts: number }
  | { kind: 'transient'; error: PspTransientError; attempts: number };

/**
 * Authorizes with short in-call retries: transient errors are retried with exponential backoff and
 * full jitter, up to `maxAttempts` calls, always with the paymentId as the idempotency key. Returns the
 * PSP's answer or the last transient error; a transient error that calling again at once cannot help
 * (`retryInCall` false: rejected credentials, a conflict, an open circuit) ends the retries, and a
 * `PspRejectedError` is thrown at once.
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
      if (!error.retryInCall) {
        // An open circuit refused the call without making it.
        const made = error instanceof PspCircuitOpenError ? attempt - 1 : attempt;
        return { kind: 'transient', error, attempts: made };
      }
      lastError = error;
    }
  }
  return {
    kind: 'transient',
    error: lastError ?? new PspTransientError('No authorization attempt was made'),
    attempts: policy.maxAttempts,
  };
}
