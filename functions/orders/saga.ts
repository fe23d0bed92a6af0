import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  type CausationMeta,
  causedBy,
  createEvent,
  type DomainEvent,
  type DomainEventOf,
  type EventPayload,
  type Money,
  type OrderCancellationReason,
} from '#events';
import { outboxPut } from '#platform/outbox/row';
import { type HistoryEntry, type OrderStatus, transition } from './domain/order';
import { type OrderItem, orderKey } from './model';

/** The events the order saga reacts to. */
export type SagaEvent =
  | DomainEventOf<'StockReserved'>
  | DomainEventOf<'StockRejected'>
  | DomainEventOf<'PaymentPending'>
  | DomainEventOf<'PaymentSucceeded'>
  | DomainEventOf<'PaymentFailed'>;

/** What the saga needs to know about an order to decide. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  version: number;
  total: Money;
  lines: readonly { productId: string; quantity: number }[];
  reservationId?: string | undefined;
  paymentId?: string | undefined;
}

/** An event the saga emits, before it gets its envelope. */
export type Emitted =
  | { type: 'OrderConfirmed'; payload: EventPayload<'OrderConfirmed'> }
  | { type: 'OrderCancelled'; payload: EventPayload<'OrderCancelled'> }
  | { type: 'StockReleaseRequested'; payload: EventPayload<'StockReleaseRequested'> };

/**
 * The outcome of one event for one order:
 * - `TRANSITION`: move from one of `from` to `to`, record `reason`, set the ids, emit the events;
 * - `IGNORE`: the order is already past this event (a repeat, or a late event for a finished order);
 *   nothing changes and it is not an error;
 * - `NOT_READY`: the event arrived before its precondition (e.g. PaymentSucceeded while the order is
 *   still PENDING because StockReserved is late); it must be retried, not dropped.
 */
export type Decision =
  | {
      kind: 'TRANSITION';
      from: readonly OrderStatus[];
      to: OrderStatus;
      reason: string;
      set: { reservationId?: string; paymentId?: string };
      emit: Emitted[];
    }
  | { kind: 'IGNORE'; reason: string }
  | { kind: 'NOT_READY'; reason: string };

/** The order breaks an invariant the saga relies on (e.g. reserved without a reservation id). */
export class SagaInvariantError extends Error {
  override readonly name = 'SagaInvariantError';
}

const PAYMENT_STAGES: readonly OrderStatus[] = ['STOCK_RESERVED', 'PAYMENT_PENDING'];

const ignore = (state: OrderState, event: SagaEvent): Decision => ({
  kind: 'IGNORE',
  reason: `${event.eventType} does not apply to an order in ${state.status}`,
});

const notReady = (state: OrderState, event: SagaEvent): Decision => ({
  kind: 'NOT_READY',
  reason: `${event.eventType} arrived while the order is ${state.status}; its stock reservation is not recorded yet`,
});

/**
 * The order saga as a decider: given the order's state and an incoming event, what happens. Pure; the
 * caller applies a `TRANSITION` with a write conditioned on `from` and the version it read.
 */
export function decide(state: OrderState, event: SagaEvent, now: Date): Decision {
  const at = now.toISOString();
  switch (event.eventType) {
    case 'StockReserved': {
      if (state.status !== 'PENDING') return ignore(state, event);
      return {
        kind: 'TRANSITION',
        from: ['PENDING'],
        to: 'STOCK_RESERVED',
        reason: `Stock reserved (${event.payload.reservationId})`,
        set: { reservationId: event.payload.reservationId },
        emit: [],
      };
    }
    case 'StockRejected': {
      if (state.status !== 'PENDING') return ignore(state, event);
      return {
        kind: 'TRANSITION',
        from: ['PENDING'],
        to: 'CANCELLED',
        reason: `Stock rejected: ${event.payload.reason}`,
        set: {},
        emit: [
          {
            type: 'OrderCancelled',
            payload: {
              orderId: state.orderId,
              reason: 'STOCK_REJECTED',
              detail: event.payload.lines
                .map((line) => `${line.productId}: ${line.requested} requested, ${line.available} available`)
                .join('; ')
                .slice(0, 1024),
              cancelledAt: at,
            },
          },
        ],
      };
    }
    case 'PaymentPending': {
      if (state.status === 'PENDING') return notReady(state, event);
      if (state.status !== 'STOCK_RESERVED') return ignore(state, event);
      const why = {
        PSP_PENDING: 'pending at the PSP',
        PSP_TIMEOUT: 'PSP timed out',
        PSP_UNAVAILABLE: 'PSP unavailable',
      }[event.payload.reason];
      return {
        kind: 'TRANSITION',
        from: ['STOCK_RESERVED'],
        to: 'PAYMENT_PENDING',
        reason: `Payment ${why}; status checks until ${event.payload.deadline}`,
        set: { paymentId: event.payload.paymentId },
        emit: [],
      };
    }
    case 'PaymentSucceeded': {
      if (state.status === 'PENDING') return notReady(state, event);
      if (!PAYMENT_STAGES.includes(state.status)) return ignore(state, event);
      return {
        kind: 'TRANSITION',
        from: PAYMENT_STAGES,
        to: 'CONFIRMED',
        reason: `Payment succeeded (${event.payload.paymentId})`,
        set: { paymentId: event.payload.paymentId },
        emit: [
          {
            type: 'OrderConfirmed',
            payload: {
              orderId: state.orderId,
              paymentId: event.payload.paymentId,
              total: state.total,
              confirmedAt: at,
            },
          },
        ],
      };
    }
    case 'PaymentFailed': {
      if (state.status === 'PENDING') return notReady(state, event);
      if (!PAYMENT_STAGES.includes(state.status)) return ignore(state, event);
      if (!state.reservationId) {
        throw new SagaInvariantError(`Order ${state.orderId} is ${state.status} but has no reservation id`);
      }
      const deadline = event.payload.reason === 'DEADLINE_EXCEEDED';
      const reason: OrderCancellationReason = deadline ? 'PAYMENT_DEADLINE_EXCEEDED' : 'PAYMENT_FAILED';
      const explanation = deadline ? 'Payment deadline exceeded' : `Payment failed: ${event.payload.reason}`;
      return {
        kind: 'TRANSITION',
        from: PAYMENT_STAGES,
        to: 'CANCELLED',
        reason: explanation,
        set: { paymentId: event.payload.paymentId },
        emit: [
          {
            type: 'StockReleaseRequested',
            payload: {
              orderId: state.orderId,
              reservationId: state.reservationId,
              lines: state.lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
              reason: explanation,
            },
          },
          {
            type: 'OrderCancelled',
            payload: {
              orderId: state.orderId,
              reason,
              ...(event.payload.detail ? { detail: event.payload.detail } : {}),
              cancelledAt: at,
            },
          },
        ],
      };
    }
    default: {
      const unhandled: never = event;
      throw new SagaInvariantError(`Unhandled saga event ${(unhandled as SagaEvent).eventType}`);
    }
  }
}

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
  };
}

/** Turns emitted payloads into events of the saga: same correlation, caused by `parent`. */
export function envelopesFor(emitted: readonly Emitted[], parent: SagaEvent, now: Date): DomainEvent[] {
  const meta: CausationMeta & { source: string } = { source: SAGA_SOURCE, ...causedBy(parent, now) };
  return emitted.map((item): DomainEvent => {
    switch (item.type) {
      case 'OrderConfirmed':
        return createEvent('OrderConfirmed', item.payload, meta);
      case 'OrderCancelled':
        return createEvent('OrderCancelled', item.payload, meta);
      case 'StockReleaseRequested':
        return createEvent('StockReleaseRequested', item.payload, meta);
      default: {
        const unhandled: never = item;
        throw new SagaInvariantError(`Unknown emitted event ${(unhandled as Emitted).type}`);
      }
    }
  });
}

export const SAGA_SOURCE = 'order-service';

/** The event's precondition does not hold yet; the consumer retries the record. */
export class SagaNotReadyError extends Error {
  override readonly name = 'SagaNotReadyError';
}

/** The order of a saga event does not exist (it always should: it is written before OrderCreated). */
export class OrderNotFoundError extends Error {
  override readonly name = 'OrderNotFoundError';
}

/** Concurrent writers kept changing the order; the consumer retries the record. */
export class SagaConflictError extends Error {
  override readonly name = 'SagaConflictError';
}

export interface SagaDeps {
  client: DynamoDBDocumentClient;
  ordersTable: string;
}

export type SagaOutcome =
  | { applied: true; from: OrderStatus; to: OrderStatus; emitted: DomainEvent[]; order: OrderItem }
  | { applied: false; reason: string };

const MAX_CONFLICTS = 5;

/**
 * Applies a saga event to its order: reads the order, decides, and writes the transition and the
 * emitted events' outbox rows in one transaction, conditioned on the allowed source statuses and the
 * version read. A lost race re-reads and decides again; an event the order is already past changes
 * nothing (this is what makes a redelivered event, or one replayed after a crash, harmless).
 */
export async function applySagaEvent(deps: SagaDeps, event: SagaEvent, now: Date): Promise<SagaOutcome> {
  for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
    const { Item } = await deps.client.send(
      new GetCommand({ TableName: deps.ordersTable, Key: orderKey(event.aggregateId), ConsistentRead: true }),
    );
    const order = Item as OrderItem | undefined;
    if (!order) throw new OrderNotFoundError(`Order ${event.aggregateId} does not exist`);
    const decision = decide(stateOf(order), event, now);
    if (decision.kind === 'IGNORE') return { applied: false, reason: decision.reason };
    if (decision.kind === 'NOT_READY') throw new SagaNotReadyError(decision.reason);

    const entry: HistoryEntry = transition(order.status, decision.to, decision.reason, now, event.eventId);
    const emitted = envelopesFor(decision.emit, event, now);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {
      ':to': decision.to,
      ':now': now.toISOString(),
      ':one': 1,
      ':version': order.version,
      ':entry': [entry],
    };
    const sets = [
      '#status = :to',
      'updatedAt = :now',
      'version = version + :one',
      'history = list_append(history, :entry)',
    ];
    if (decision.set.reservationId) {
      sets.push('reservationId = :reservationId');
      values[':reservationId'] = decision.set.reservationId;
    }
    if (decision.set.paymentId) {
      sets.push('paymentId = :paymentId');
      values[':paymentId'] = decision.set.paymentId;
    }
    const sources = decision.from.map((status, index) => {
      values[`:from${index}`] = status;
      return `:from${index}`;
    });
    try {
      await deps.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: deps.ordersTable,
                Key: orderKey(order.orderId),
                UpdateExpression: `SET ${sets.join(', ')}`,
                ConditionExpression: `#status IN (${sources.join(', ')}) AND version = :version`,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
            ...emitted.map((next) => outboxPut(deps.ordersTable, next)),
          ],
        }),
      );
    } catch (error) {
      const codes =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None')
          : [];
      if (codes[0] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) continue;
      throw error;
    }
    return {
      applied: true,
      from: order.status,
      to: decision.to,
      emitted,
      order: {
        ...order,
        status: decision.to,
        version: order.version + 1,
        updatedAt: now.toISOString(),
        history: [...order.history, entry],
        ...decision.set,
      },
    };
  }
  throw new SagaConflictError(
    `Order ${event.aggregateId} kept changing while ${event.eventType} was applied`,
  );
}
