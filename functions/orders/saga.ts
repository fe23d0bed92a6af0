import { type CreateEventMeta, causedBy, createEvent, type DomainEvent } from '#events';
import { PermanentError, RetryableError } from '#platform/errors';
import type { OrderStatus } from './domain/order';
import {
  decide,
  decideTimeout,
  type Emitted,
  evolve,
  type OrderState,
  type SagaEvent,
  SagaInvariantError,
} from './domain/saga';
import { type OrderItem, recipientOf } from './model';
import type { OrderStore } from './order-store';

export const SAGA_SOURCE = 'order-service';

/** The event's precondition does not hold yet; the consumer retries the record. */
export class SagaNotReadyError extends RetryableError {
  readonly code = 'SAGA_NOT_READY';
}

/** The order of a saga event does not exist (it always should: it is written before OrderCreated). */
export class OrderNotFoundError extends PermanentError {
  readonly code = 'ORDER_NOT_FOUND';
}

/** Concurrent writers kept changing the order; the consumer retries the record. */
export class SagaConflictError extends RetryableError {
  readonly code = 'SAGA_CONFLICT';
}

export type SagaOutcome =
  | {
      applied: true;
      from: OrderStatus;
      to: OrderStatus;
      emitted: DomainEvent[];
      order: OrderState & { createdAt: string };
    }
  | { applied: false; reason: string };

const MAX_CONFLICTS = 5;

/** The saga's view of a stored order. */
export function stateOf(order: OrderItem): OrderState {
  return {
    orderId: order.orderId,
    status: order.status,
    version: order.version,
    total: order.total,
    lines: order.lines,
    reservationId: order.reservationId,
    paymentId: order.paymentId,
    releaseRequested: order.releaseRequested,
    reversalRequested: order.reversalRequested,
    history: order.history,
    updatedAt: order.updatedAt,
    recipient: recipientOf(order),
  };
}

/** Turns emitted payloads into events of the saga: same correlation, caused by `parent`. */
export function envelopesFor(emitted: readonly Emitted[], parent: SagaEvent, now: Date): DomainEvent[] {
  return envelopesWith(emitted, { source: SAGA_SOURCE, ...causedBy(parent, now) });
}

/** Turns emitted payloads into events with the given envelope fields. */
export function envelopesWith(emitted: readonly Emitted[], meta: CreateEventMeta): DomainEvent[] {
  return emitted.map((item): DomainEvent => {
    switch (item.type) {
      case 'OrderConfirmed':
        return createEvent('OrderConfirmed', item.payload, meta);
      case 'OrderCancelled':
        return createEvent('OrderCancelled', item.payload, meta);
      case 'StockReleaseRequested':
        return createEvent('StockReleaseRequested', item.payload, meta);
      case 'PaymentReversalRequested':
        return createEvent('PaymentReversalRequested', item.payload, meta);
      default: {
        const unhandled: never = item;
        throw new SagaInvariantError(`Unknown emitted event ${(unhandled as Emitted).type}`);
      }
    }
  });
}

/**
 * Applies a saga event to its order: loads the order, decides, evolves and saves the new state with
 * the emitted events' outbox rows in one write conditioned on the status and version read. A lost race
 * loads and decides again; an event the order is already past changes nothing (this is what makes a
 * redelivered event, or one replayed after a crash, harmless).
 */
export async function applySagaEvent(
  deps: { store: OrderStore },
  event: SagaEvent,
  now: Date,
): Promise<SagaOutcome> {
  for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
    const order = await deps.store.get(event.aggregateId, { consistent: true });
    if (!order) throw new OrderNotFoundError(`Order ${event.aggregateId} does not exist`);
    const before = stateOf(order);
    const decision = decide(before, event, now);
    if (decision.kind === 'IGNORE') return { applied: false, reason: decision.reason };
    if (decision.kind === 'NOT_READY') throw new SagaNotReadyError(decision.reason);

    const after = evolve(before, decision, event.eventId, now);
    const emitted = envelopesFor(decision.emit, event, now);
    if ((await deps.store.save(before, after, emitted)) === 'STALE') continue;
    return {
      applied: true,
      from: before.status,
      to: after.status,
      emitted,
      order: { ...after, createdAt: order.createdAt },
    };
  }
  throw new SagaConflictError(
    `Order ${event.aggregateId} kept changing while ${event.eventType} was applied`,
  );
}

export interface TimeoutOutcome {
  /** Open orders older than the timeout that were looked at. */
  checked: number;
  /** Orders cancelled as TIMED_OUT, with their compensations. */
  timedOut: string[];
  /** The correlationIds of those orders' sagas, in the same order (for the run's log line). */
  correlationIds: string[];
}

/**
 * The reconciler's pass over the orders: every order still open `timeoutSeconds` after it was placed
 * stopped moving (a dependency lost its events, a payment workflow died); it is cancelled as
 * TIMED_OUT with what it holds compensated (`decideTimeout`), in one write with the events, like any
 * other transition, so a late event finds it finished and compensates too.
 */
export async function timeOutStuckOrders(
  deps: { store: OrderStore },
  now: Date,
  timeoutSeconds: number,
  limitPerShard = 25,
): Promise<TimeoutOutcome> {
  const ids = await deps.store.openSince(new Date(now.getTime() - timeoutSeconds * 1000), limitPerShard);
  const outcome: TimeoutOutcome = { checked: ids.length, timedOut: [], correlationIds: [] };
  const idleFor = `${Math.round(timeoutSeconds / 60)} minutes`;
  for (const orderId of ids) {
    for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
      const order = await deps.store.get(orderId, { consistent: true });
      if (!order) break;
      const before = stateOf(order);
      const decision = decideTimeout(before, now, idleFor);
      if (decision.kind !== 'CHANGE') break;
      const emitted = envelopesWith(decision.emit, {
        source: SAGA_SOURCE,
        aggregateId: orderId,
        correlationId: order.correlationId,
        now,
      });
      const after = evolve(before, decision, undefined, now);
      if ((await deps.store.save(before, after, emitted)) === 'SAVED') {
        outcome.timedOut.push(orderId);
        outcome.correlationIds.push(order.correlationId);
        break;
      }
    }
  }
  return outcome;
}
