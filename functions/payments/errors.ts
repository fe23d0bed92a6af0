/** The status workflow names a payment the table does not hold. */
export class PaymentNotFoundError extends Error {
  override readonly name = 'PaymentNotFoundError';
}

/** DynamoDB rejected a payment write for a reason that is not its condition. */
export class PaymentWriteError extends Error {
  override readonly name = 'PaymentWriteError';
}
