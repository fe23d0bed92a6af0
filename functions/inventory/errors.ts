/** Contention on the stock items outlasted the bounded retries; the event should be redelivered. */
export class InventoryBusyError extends Error {
  override readonly name = 'InventoryBusyError';
}

/** A release names an order that has no reservation (yet); redelivery may find it. */
export class ReservationNotFoundError extends Error {
  override readonly name = 'ReservationNotFoundError';
}

/** DynamoDB rejected a transaction for a reason that is not a condition or a conflict. */
export class InventoryWriteError extends Error {
  override readonly name = 'InventoryWriteError';
}
