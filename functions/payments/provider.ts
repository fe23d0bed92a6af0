import { PermanentError, RetryableError } from '#platform/errors';
import type { Money } from '#platform/money';
import type { PaymentSplit } from './domain/split';

/** Final and non-final outcomes of an authorization at the PSP. */
export type AuthorizationStatus = 'SUCCEEDED' | 'DECLINED' | 'INSUFFICIENT_FUNDS' | 'PENDING';

/**
 * Every state the PSP reports for a payment: an authorization's outcome, or what became of it after a
 * void (`VOIDED`: released before capture) or a refund (`REFUNDED`: captured, then paid back).
 */
export type PspPaymentStatus = AuthorizationStatus | 'VOIDED' | 'REFUNDED';

export interface AuthorizationRequest {
  paymentId: string;
  amount: Money;
  /** The PSP's card token from the order; never card data. */
  token: string;
  splits: PaymentSplit[];
}

/** A payment as the PSP reports it. */
export interface PspPayment {
  status: PspPaymentStatus;
  pspReference: string;
}

/** What the PSP knows about a payment; `NOT_FOUND` when it never received it. */
export type PaymentStatusResult = PspPayment | { status: 'NOT_FOUND' };

export interface CallOptions {
  /** Sent as the PSP's idempotency key: the same key never charges twice. */
  idempotencyKey: string;
  timeoutMs: number;
}

/**
 * Port to a payment service provider. The PSP captures on success (a SUCCEEDED payment is charged), so
 * a payment is released with `void` while it is not captured (PENDING) and with `refund` once it is
 * (SUCCEEDED). Both are idempotent: releasing a released payment answers its state again.
 *
 * Implementations throw `PspTransientError` (or a subclass) when the answer says nothing final about
 * the payment: 5xx, 429, timeouts (408 included), network failures, rejected credentials (401, 403),
 * a conflict (409: a concurrent request with the key, or a void of a captured payment; the caller
 * looks the status up). They throw `PspRejectedError` when the PSP refuses the request itself (any
 * other 4xx), which retrying cannot fix.
 */
export interface PaymentProvider {
  authorize(request: AuthorizationRequest, options: CallOptions): Promise<PspPayment>;
  getStatus(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult>;
  /** Releases an authorization before capture; `NOT_FOUND` when the PSP holds nothing for it. */
  void(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult>;
  /** Pays a captured payment back in full; `NOT_FOUND` when the PSP holds nothing for it. */
  refund(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult>;
}

/**
 * The PSP gave no answer about the payment (5xx, 429, timeout, network); the same call may succeed
 * later. `timedOut` says the request may have reached the PSP and been recorded (a timeout, or 408).
 */
export class PspTransientError extends RetryableError {
  readonly code: string = 'PSP_UNAVAILABLE';
  readonly timedOut: boolean;
  /** Whether calling again at once, within the same invocation, may help. */
  readonly retryInCall: boolean = true;

  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.timedOut = options.timedOut ?? false;
  }
}

/**
 * The PSP refused our credentials (401, 403). Not a decline: nothing is known about the payment, and
 * the call can succeed once the credential is fixed or rotated, so the payment keeps awaiting its
 * status. Retrying within the call cannot help.
 */
export class PspCredentialsError extends PspTransientError {
  override readonly code = 'PSP_CREDENTIALS_REJECTED';
  override readonly retryInCall = false;
}

/**
 * The PSP answered 409: the idempotency key is in use by a concurrent request or was used for another
 * request, or a void/refund does not fit the payment's state (e.g. it was captured meanwhile). Not a
 * decline: the caller looks the payment's status up and decides from that.
 */
export class PspConflictError extends PspTransientError {
  override readonly code = 'PSP_CONFLICT';
  override readonly retryInCall = false;
}

/** The PSP client's circuit is open: the call was not made. */
export class PspCircuitOpenError extends PspTransientError {
  override readonly code = 'PSP_CIRCUIT_OPEN';
  override readonly retryInCall = false;
}

/** The PSP refused the request (4xx other than 401, 403, 408, 409, 429); retrying cannot succeed. */
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
