import { PermanentError, RetryableError } from '#platform/errors';

/** The status workflow names a payment the table does not hold. */
export class PaymentNotFoundError extends PermanentError {
  readonly code = 'PAYMENT_NOT_FOUND';
}

/** A payment breaks an invariant the service relies on (e.g. awaiting its status without a deadline). */
export class PaymentInvariantError extends PermanentError {
  readonly code = 'PAYMENT_INVARIANT_BROKEN';
}

/** DynamoDB rejected a payment write for a reason that is not its condition. */
export class PaymentWriteError extends RetryableError {
  readonly code = 'PAYMENT_WRITE_FAILED';
}
