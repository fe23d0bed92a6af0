/**
 * What the operations page shows about orders and consumers, computed from plain data (the order
 * items of the orders table, the consumer groups' offsets): pure functions, unit-tested on their own.
 */

/** Statuses an order's saga ends in (it may still be shipped and delivered after CONFIRMED). */
export const TERMINAL_STATUSES = ['CONFIRMED', 'CANCELLED'] as const;

/** One status transition of an order, as its `history` records it. */
export interface HistoryView {
  readonly status: string;
  readonly at: string;
  readonly reason: string;
}

/**
 * An order as the page shows it: no customer id, payment method or token, nor anything else that is
 * not about the saga's progress.
 */
export interface OrderView {
  readonly orderId: string;
  readonly status: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly total: { readonly amountMinor: number; readonly currency: string } | null;
  readonly lines: number;
  readonly history: readonly HistoryView[];
  /** From the POST (createdAt) to the first terminal status; null while the saga runs. */
  readonly sagaMs: number | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The value at percentile `p` (0–100) of `values`, by the nearest-rank method (the smallest value
 * with at least p % of the values at or below it, as CloudWatch's pNN statistics are defined);
 * null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not within 0 to 100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** p50, p95 and p99 of `values`, with their count. */
export function latencySummary(values: readonly number[]): {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
} {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
  };
}

/**
 * Milliseconds from an order's creation (its POST) to its first terminal status in `history`;
 * null while it has none, or when a timestamp does not parse.
 */
export function sagaDurationMs(createdAt: string, history: readonly HistoryView[]): number | null {
  const terminal = history.find((entry) => (TERMINAL_STATUSES as readonly string[]).includes(entry.status));
  if (!terminal) return null;
  const ms = Date.parse(terminal.at) - Date.parse(createdAt);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

/**
 * The view of an orders-table item that is an order (`entity` ORDER); null for every other item
 * (idempotency records, outbox rows).
 */
export function orderViewOf(item: Record<string, unknown>): OrderView | null {
  if (item.entity !== 'ORDER' || typeof item.orderId !== 'string') return null;
  const history: HistoryView[] = (Array.isArray(item.history) ? item.history : [])
    .filter(isRecord)
    .map((entry) => ({ status: text(entry.status), at: text(entry.at), reason: text(entry.reason) }));
  const createdAt = text(item.createdAt);
  const total =
    isRecord(item.total) && typeof item.total.amountMinor === 'number'
      ? { amountMinor: item.total.amountMinor, currency: text(item.total.currency) }
      : null;
  return {
    orderId: item.orderId,
    status: text(item.status),
    createdAt,
    updatedAt: text(item.updatedAt) || createdAt,
    total,
    lines: Array.isArray(item.lines) ? item.lines.length : 0,
    history,
    sagaMs: sagaDurationMs(createdAt, history),
  };
}

/** Orders by status; every status of `known` is present, with 0 when no order has it. */
export function countByStatus(
  orders: readonly Pick<OrderView, 'status'>[],
  known: readonly string[] = [],
): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(known.map((status) => [status, 0]));
  for (const order of orders) counts[order.status] = (counts[order.status] ?? 0) + 1;
  return counts;
}

/** The `limit` newest orders (by createdAt, then id: ULIDs sort by time), newest first. */
export function latestOrders<T extends Pick<OrderView, 'orderId' | 'createdAt'>>(
  orders: readonly T[],
  limit: number,
): T[] {
  return [...orders]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.orderId.localeCompare(a.orderId))
    .slice(0, limit);
}

/** A partition's end (the offset after its last record) and its group's committed offset (-1: none). */
export interface PartitionOffsets {
  readonly partition: number;
  readonly end: number;
  readonly committed: number;
}

/**
 * Records of a topic a consumer group has not committed yet, summed over its partitions: end minus
 * committed offset, or minus `start` (the partition's first retained offset, 0 without retention)
 * where the group has committed nothing, as a group starting at TRIM_HORIZON reads from there.
 */
export function consumerLag(partitions: readonly PartitionOffsets[], start = 0): number {
  let lag = 0;
  for (const { end, committed } of partitions) lag += Math.max(0, end - (committed >= 0 ? committed : start));
  return lag;
}
