import { RetryableError } from '#platform/errors';

/** Contention on the stock items outlasted the bounded retries; the event should be redelivered. */
export class InventoryBusyError extends RetryableError {
  readonly code = 'INVENTORY_BUSY';
}

/** A release names an order that has no reservation (yet); redelivery may find it. */
export class ReservationNotFoundError extends RetryableError {
  readonly code = 'RESERVATION_NOT_FOUND';
}

/** DynamoDB rejected a transaction for a reason that is not a condition or a conflict. */
export class InventoryWriteError extends RetryableError {
  readonly code = 'INVENTORY_WRITE_FAILED';
}
