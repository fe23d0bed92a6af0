import type { DomainEvent, EventType } from '#events';

/** Counter names per event type; a type without an entry counts as `EVENT_<type>`. */
const COUNTER_BY_TYPE: Partial<Record<EventType, string>> = {
  OrderCreated: 'ORDERS_CREATED',
  OrderConfirmed: 'ORDERS_CONFIRMED',
  OrderCancelled: 'ORDERS_CANCELLED',
  StockReleaseRequested: 'STOCK_RELEASE_REQUESTED',
  StockReserved: 'STOCK_RESERVED',
  StockRejected: 'STOCK_REJECTED',
  StockReleased: 'STOCK_RELEASED',
  PaymentPending: 'PAYMENTS_PENDING',
  PaymentSucceeded: 'PAYMENTS_SUCCEEDED',
  PaymentFailed: 'PAYMENTS_FAILED',
  NotificationSent: 'NOTIFICATIONS_SENT',
  NotificationFailed: 'NOTIFICATIONS_FAILED',
  OrderShipped: 'ORDERS_SHIPPED',
  OrderDelivered: 'ORDERS_DELIVERED',
};

/**
 * Counted on top of ORDERS_CANCELLED for an OrderCancelled of an order that was CONFIRMED (version 4
 * and later say what the order was cancelled from; earlier versions count as cancelled only).
 */
export const CANCELLED_AFTER_CONFIRMATION = 'ORDERS_CANCELLED_AFTER_CONFIRMATION';

export function counterOf(eventType: EventType): string {
  return COUNTER_BY_TYPE[eventType] ?? `EVENT_${eventType}`;
}

/** The UTC hour an event belongs to, from its `occurredAt`: `2025-03-01T12`. */
export function hourOf(occurredAt: string): string {
  return new Date(occurredAt).toISOString().slice(0, 13);
}

/** A counter key: one counter in one hour. */
export interface CounterKey {
  hour: string;
  counter: string;
}

/** The counters an event adds one to: its type's, and for some events a second one. */
export function countersOf(event: DomainEvent): string[] {
  const counters = [counterOf(event.eventType)];
  if (event.eventType === 'OrderCancelled' && event.eventVersion >= 4) {
    const { cancelledFrom } = event.payload as { cancelledFrom?: string };
    if (cancelledFrom === 'CONFIRMED') counters.push(CANCELLED_AFTER_CONFIRMATION);
  }
  return counters;
}

export const counterKeysOf = (event: DomainEvent): CounterKey[] =>
  countersOf(event).map((counter) => ({ hour: hourOf(event.occurredAt), counter }));

/**
 * Each counter of an hour is split over this many items (`<counter>#<shard>`), summed when read, so
 * that batches counting at the same time rarely update the same item: DynamoDB cancels a
 * transaction that touches an item another transaction is writing (`TransactionConflict`).
 */
export const COUNTER_SHARDS = 16;

export const counterItemKey = ({ hour, counter }: CounterKey, shard: number) => ({
  pk: `HOUR#${hour}`,
  sk: `${counter}#${shard}`,
});

/** Stable small hash (FNV-1a) of a text. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The counter shard a batch writes: chosen by `seed` (the batch's topic partition, so batches of
 * different partitions, which Lambda runs at the same time, mostly write different items), moved on
 * by `attempt` so that a transaction retried after a conflict writes other items.
 */
export function counterShard(seed: string, attempt: number, shards = COUNTER_SHARDS): number {
  return (hashOf(seed) + attempt) % shards;
}

/** The counter an item of an hour holds: its `counter` attribute, else its sort key without a shard. */
export function counterNameOf(item: { sk?: unknown; counter?: unknown }): string {
  if (typeof item.counter === 'string' && item.counter !== '') return item.counter;
  return String(item.sk ?? '').replace(/#\d+$/, '');
}
export const markerKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: 'EVENT' });

/** Sums events into one increment per counter key. */
export function aggregate(events: readonly DomainEvent[]): Map<string, { key: CounterKey; count: number }> {
  const totals = new Map<string, { key: CounterKey; count: number }>();
  for (const event of events) {
    for (const key of counterKeysOf(event)) {
      const id = `${key.hour}|${key.counter}`;
      const entry = totals.get(id);
      if (entry) entry.count += 1;
      else totals.set(id, { key, count: 1 });
    }
  }
  return totals;
}

/**
 * Order statuses as reported by GET /admin/metrics, from the order counters of a window: PLACED is
 * every order placed; the others are the status each order is in now, so they add up to PLACED. An
 * order counts in its latest status only: a DELIVERED order is not also SHIPPED or CONFIRMED, and a
 * CONFIRMED order the customer cancelled is CANCELLED only (ORDERS_CANCELLED_AFTER_CONFIRMATION).
 * A window can hold later steps of orders placed before it, so no status goes below 0.
 */
export function byStatus(totals: Record<string, number>) {
  const placed = totals.ORDERS_CREATED ?? 0;
  const confirmed = totals.ORDERS_CONFIRMED ?? 0;
  const cancelled = totals.ORDERS_CANCELLED ?? 0;
  const cancelledAfterConfirmation = totals[CANCELLED_AFTER_CONFIRMATION] ?? 0;
  const shipped = totals.ORDERS_SHIPPED ?? 0;
  const delivered = totals.ORDERS_DELIVERED ?? 0;
  const cancelledBeforeConfirmation = Math.max(0, cancelled - cancelledAfterConfirmation);
  return {
    PLACED: placed,
    CONFIRMED: Math.max(0, confirmed - cancelledAfterConfirmation - shipped),
    SHIPPED: Math.max(0, shipped - delivered),
    DELIVERED: delivered,
    CANCELLED: cancelled,
    IN_PROGRESS: Math.max(0, placed - confirmed - cancelledBeforeConfirmation),
  };
}
