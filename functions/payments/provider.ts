import { PermanentError, RetryableError } from '#platform/errors';
import type { Money } from '#platform/money';
import type { PaymentSplit } from './domain/split';

/** Final and non-final outcomes of an authorization at the PSP. */
export type AuthorizationStatus = 'SUCCEEDED' | 'DECLINED' | 'INSUFFICIENT_FUNDS' | 'PENDING';

export interface AuthorizationRequest {
  paymentId: string;
  amount: Money;
  /** The PSP's card token from the order; never card data. */
  token: string;
  splits: PaymentSplit[];
}

export interface AuthorizationResult {
  status: AuthorizationStatus;
  pspReference: string;
}

/** What the PSP knows about a payment; `NOT_FOUND` when it never received it. */
export type PaymentStatusResult = AuthorizationResult | { status: 'NOT_FOUND' };

export interface CallOptions {
  /** Sent as the PSP's idempotency key: the same key never charges twice. */
  idempotencyKey: string;
  timeoutMs: number;
}

/**
 * Port to a payment service provider. Implementations throw `PspTransientError` for failures worth
 * retrying (5xx, 429, timeouts, network) and `PspRejectedError` when the PSP refuses the request
 * itself (4xx), which retrying cannot fix.
 */
export interface PaymentProvider {
  authorize(request: AuthorizationRequest, options: CallOptions): Promise<AuthorizationResult>;
  getStatus(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult>;
}

/** The PSP did not answer usefully (5xx, 429, timeout, network); the same call may succeed later. */
export class PspTransientError extends RetryableError {
  readonly code = 'PSP_UNAVAILABLE';
}

/** The PSP refused the request (4xx other than 429); retrying the same request cannot succeed. */
export class PspRejectedError extends PermanentError {
  readonly code = 'PSP_REJECTED';
  constructor(
    message: string,
    readonly statusCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isFinal = (status: AuthorizationStatus | 'NOT_FOUND'): boolean =>
  status === 'SUCCEEDED' || status === 'DECLINED' || status === 'INSUFFICIENT_FUNDS';
