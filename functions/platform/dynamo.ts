/**
 * Why DynamoDB cancelled a transaction (a `TransactionCanceledException`), one code per item in the
 * order the items were sent (`ConditionalCheckFailed`, `TransactionConflict`, `None`, ...); empty for
 * any other error.
 */
export function cancellationCodes(error: unknown): string[] {
  const cancelled = error as { name?: unknown; CancellationReasons?: { Code?: string }[] } | undefined;
  if (cancelled?.name !== 'TransactionCanceledException') return [];
  return (cancelled.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** The transaction lost a race with another writer of one of its items: the same write may succeed. */
export function isTransactionConflict(error: unknown): boolean {
  return cancellationCodes(error).includes('TransactionConflict');
}

/** The transaction's item number `index` failed its condition. */
export function failedConditionAt(error: unknown, index: number): boolean {
  return cancellationCodes(error)[index] === 'ConditionalCheckFailed';
}
