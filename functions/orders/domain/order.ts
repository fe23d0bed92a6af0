import { PermanentError } from '#platform/errors';

/**
 * The order state machine:
 *
 *   PENDING ─► STOCK_RESERVED ─► (PAYMENT_PENDING) ─► CONFIRMED ─► SHIPPED ─► DELIVERED
 *      │             │                  │                 │
 *      └─────────────┴──────────────────┴─────────────────┴──────► CANCELLED
 *
 * CANCELLED comes from the saga (stock rejected, payment failed), the reconciler (timed out) or the
 * customer (`POST /orders/{orderId}/cancel`, until the order is SHIPPED). SHIPPED and DELIVERED come
 * from the shipping service (OrderShipped, OrderDelivered); a delivery reported before the pickup
 * moves a CONFIRMED order through SHIPPED on its own. DELIVERED and CANCELLED are final.
 *
 * Persistence applies a transition only with a condition on the current status (see
 * `allowedSources`), so an invalid or repeated transition is rejected by the database, never applied.
 */
export const ORDER_STATUSES = [
  'PENDING',
  'STOCK_RESERVED',
  'PAYMENT_PENDING',
  'CONFIRMED',
  'SHIPPED',
  'DELIVERED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['STOCK_RESERVED', 'CANCELLED'],
  STOCK_RESERVED: ['PAYMENT_PENDING', 'CONFIRMED', 'CANCELLED'],
  PAYMENT_PENDING: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

export interface HistoryEntry {
  readonly status: OrderStatus;
  readonly at: string;
  readonly reason: string;
  /** The event that caused the transition, when one did. */
  readonly eventId?: string;
}

export class InvalidTransitionError extends PermanentError {
  readonly code = 'INVALID_TRANSITION';
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`Order cannot move from ${from} to ${to}`);
  }
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * Whether the saga is done with the order (CONFIRMED and later, or CANCELLED): nothing of its own is
 * in flight, so the reconciler leaves it alone and it leaves the open-orders index. Shipping goes on
 * at its carrier's pace.
 */
export function isSagaFinished(status: OrderStatus): boolean {
  return status === 'CONFIRMED' || status === 'SHIPPED' || status === 'DELIVERED' || status === 'CANCELLED';
}

/** The statuses an order may be in for a move to `to`; the condition of a conditional write. */
export function allowedSources(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

/** The first history entry of a new order. */
export function initialHistory(now: Date): HistoryEntry[] {
  return [{ status: 'PENDING', at: now.toISOString(), reason: 'Order placed' }];
}

/** Returns the history entry for a valid transition, or throws InvalidTransitionError. */
export function transition(
  from: OrderStatus,
  to: OrderStatus,
  reason: string,
  now: Date,
  eventId?: string,
): HistoryEntry {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
  return { status: to, at: now.toISOString(), reason, ...(eventId ? { eventId } : {}) };
}
