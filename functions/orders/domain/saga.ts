import type {
  DomainEventOf,
  EventPayload,
  Money,
  OrderCancellationReasonV2,
  OrderCancelledFrom,
  PaymentPendingReason,
  PaymentReversalReason,
  Recipient,
} from '#events';
import { PermanentError } from '#platform/errors';
import { type HistoryEntry, isSagaFinished, type OrderStatus, transition } from './order';

/**
 * The order saga as a decider: `decide` says what an incoming event does to an order, `evolve`
 * applies that decision to the order's state. Both are pure (time is passed in); the order store
 * persists the result in one conditional write with the emitted events.
 *
 * Events of different topics reach the saga in any order (each topic has its own event source
 * mapping), so every order of arrival converges:
 * - a payment event names the reservation it was made for, so a payment that overtakes its
 *   StockReserved moves the order through STOCK_RESERVED on its own, and the late StockReserved
 *   changes nothing;
 * - an order that ended CANCELLED compensates whatever arrives after: a late reservation is released,
 *   a payment that is still open or succeeded is reversed (voided or refunded), each exactly once;
 * - a delivery (shipping.events) reported before its pickup moves a CONFIRMED order through SHIPPED
 *   on its own, and the late OrderShipped changes nothing; a parcel picked up after the order was
 *   cancelled (the race rule in docs/architecture.md) is noted in the history, once.
 */

/** The events the order saga reacts to. */
export type SagaEvent =
  | DomainEventOf<'StockReserved'>
  | DomainEventOf<'StockRejected'>
  | DomainEventOf<'PaymentPending'>
  | DomainEventOf<'PaymentSucceeded'>
  | DomainEventOf<'PaymentFailed'>
  | DomainEventOf<'PaymentVoided'>
  | DomainEventOf<'PaymentRefunded'>
  | DomainEventOf<'OrderShipped'>
  | DomainEventOf<'OrderDelivered'>;

/** What the saga knows about an order. */
export interface OrderState {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly version: number;
  readonly total: Money;
  readonly lines: readonly { readonly productId: string; readonly quantity: number }[];
  readonly reservationId?: string | undefined;
  readonly paymentId?: string | undefined;
  /** StockReleaseRequested was emitted for the reservation. */
  readonly releaseRequested?: boolean | undefined;
  /** PaymentReversalRequested was emitted for the payment. */
  readonly reversalRequested?: boolean | undefined;
  readonly history: readonly HistoryEntry[];
  readonly updatedAt: string;
  /** Who the order's outcome is announced to (OrderConfirmed, OrderCancelled). */
  readonly recipient: Recipient;
}

/** An event the saga emits, before it gets its envelope. */
export type Emitted =
  | { type: 'OrderConfirmed'; payload: EventPayload<'OrderConfirmed'> }
  | { type: 'OrderCancelled'; payload: EventPayload<'OrderCancelled'> }
  | { type: 'StockReleaseRequested'; payload: EventPayload<'StockReleaseRequested'> }
  | { type: 'PaymentReversalRequested'; payload: EventPayload<'PaymentReversalRequested'> };

/** The fields a change sets on the order. */
export interface OrderFields {
  readonly reservationId?: string;
  readonly paymentId?: string;
  readonly releaseRequested?: boolean;
  readonly reversalRequested?: boolean;
}

/**
 * What an event changes: status moves in order (more than one when a payment overtook its
 * reservation), or, when nothing moves, a `note` in the history (a compensation of a finished order);
 * the fields it sets and the events it emits.
 */
export interface Change {
  readonly kind: 'CHANGE';
  readonly moves: readonly { readonly to: OrderStatus; readonly reason: string }[];
  readonly note?: string;
  readonly set: OrderFields;
  readonly emit: readonly Emitted[];
}

/**
 * The outcome of one event for one order:
 * - `CHANGE`: see `Change`;
 * - `IGNORE`: the order is already past this event (a repeat, or a late event that needs nothing);
 *   nothing changes and it is not an error;
 * - `NOT_READY`: the event arrived before its precondition and carries too little to apply it (a
 *   version-1 payment event, which names no reservation, for a PENDING order); it must be retried.
 */
export type Decision = Change | { kind: 'IGNORE'; reason: string } | { kind: 'NOT_READY'; reason: string };

/** The order breaks an invariant the saga relies on (e.g. reserved without a reservation id). */
export class SagaInvariantError extends PermanentError {
  readonly code = 'SAGA_INVARIANT_BROKEN';
}

const PAYMENT_STAGES: readonly OrderStatus[] = ['STOCK_RESERVED', 'PAYMENT_PENDING'];

const PENDING_REASONS: Readonly<Record<PaymentPendingReason, string>> = {
  PSP_PENDING: 'pending at the PSP',
  PSP_TIMEOUT: 'PSP timed out',
  PSP_UNAVAILABLE: 'PSP unavailable',
};

const ignore = (state: OrderState, event: SagaEvent): Decision => ({
  kind: 'IGNORE',
  reason: `${event.eventType} does not apply to an order in ${state.status}`,
});

const notReady = (state: OrderState, event: SagaEvent): Decision => ({
  kind: 'NOT_READY',
  reason: `${event.eventType} arrived while the order is ${state.status}; its stock reservation is not recorded yet`,
});

const reservedMove = (reservationId: string, implied: boolean) => ({
  to: 'STOCK_RESERVED' as const,
  reason: implied
    ? `Stock reserved (${reservationId}, confirmed by the payment ahead of StockReserved)`
    : `Stock reserved (${reservationId})`,
});

/** The reservation a payment event names (version 2 and later), if any. */
function reservationOf(event: SagaEvent): string | undefined {
  const payload = event.payload as { reservationId?: string };
  return payload.reservationId;
}

/**
 * The reservation the order holds once this payment event applies: the recorded one, or the one the
 * payment names for a PENDING order (the payment overtook StockReserved). Undefined: not ready.
 */
function reservationFor(
  state: OrderState,
  event: SagaEvent,
): { id: string; moves: Change['moves'] } | undefined {
  if (state.status !== 'PENDING') {
    if (!state.reservationId) {
      throw new SagaInvariantError(`Order ${state.orderId} is ${state.status} but has no reservation id`);
    }
    return { id: state.reservationId, moves: [] };
  }
  const named = reservationOf(event);
  return named ? { id: named, moves: [reservedMove(named, true)] } : undefined;
}

/**
 * The status an order is cancelled from (OrderCancelled's `cancelledFrom`): one before it ships. A
 * shipped, delivered or cancelled order is never cancelled; asking for it is a bug in the decider.
 */
function cancelledFromOf(state: OrderState): OrderCancelledFrom {
  const status = state.status;
  switch (status) {
    case 'PENDING':
    case 'STOCK_RESERVED':
    case 'PAYMENT_PENDING':
    case 'CONFIRMED':
      return status;
    case 'SHIPPED':
    case 'DELIVERED':
    case 'CANCELLED':
      throw new SagaInvariantError(`Order ${state.orderId} is ${status} and cannot be cancelled`);
    default: {
      const unhandled: never = status;
      throw new SagaInvariantError(`Unknown order status ${String(unhandled)}`);
    }
  }
}

/** The events of a cancellation: release the reservation (once) and announce the cancellation. */
function cancellation(
  state: OrderState,
  reservationId: string | undefined,
  reason: OrderCancellationReasonV2,
  explanation: string,
  at: string,
  detail?: string,
): { set: OrderFields; release: Emitted[]; cancelled: Emitted } {
  const release: Emitted[] =
    reservationId && !state.releaseRequested
      ? [
          {
            type: 'StockReleaseRequested',
            payload: {
              orderId: state.orderId,
              reservationId,
              lines: state.lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
              reason: explanation,
            },
          },
        ]
      : [];
  return {
    set: release.length > 0 ? { releaseRequested: true } : {},
    release,
    cancelled: {
      type: 'OrderCancelled',
      payload: {
        orderId: state.orderId,
        reason,
        ...(detail ? { detail } : {}),
        cancelledAt: at,
        recipient: state.recipient,
        cancelledFrom: cancelledFromOf(state),
      },
    },
  };
}

/** A money reversal for a cancelled order, once per payment. */
function reversal(state: OrderState, paymentId: string, reason: PaymentReversalReason): Emitted[] {
  if (state.reversalRequested) return [];
  return [{ type: 'PaymentReversalRequested', payload: { orderId: state.orderId, paymentId, reason } }];
}

/** A move to SHIPPED for a shipping event. */
function shippedMove(
  event: DomainEventOf<'OrderShipped'> | DomainEventOf<'OrderDelivered'>,
  implied: boolean,
) {
  const { carrier, trackingNumber } = event.payload;
  return {
    to: 'SHIPPED' as const,
    reason: implied
      ? `Shipped with ${carrier} (${trackingNumber}, reported by the delivery ahead of the pickup)`
      : `Shipped with ${carrier} (${trackingNumber})`,
  };
}

/**
 * What a shipping event does to an order: the moves it makes from CONFIRMED or SHIPPED, a note on a
 * cancelled order (once per event), a retry for an order not confirmed yet (it cannot be shipped
 * before; only a redriven event could get here), nothing for an order already past it.
 */
function decideShipping(
  state: OrderState,
  event: DomainEventOf<'OrderShipped'> | DomainEventOf<'OrderDelivered'>,
): Decision {
  const delivered = event.eventType === 'OrderDelivered';
  switch (state.status) {
    case 'PENDING':
    case 'STOCK_RESERVED':
    case 'PAYMENT_PENDING':
      return {
        kind: 'NOT_READY',
        reason: `${event.eventType} arrived while the order is ${state.status}; it is not confirmed yet`,
      };
    case 'CONFIRMED':
      return {
        kind: 'CHANGE',
        moves: delivered
          ? [shippedMove(event, true), { to: 'DELIVERED', reason: `Delivered by ${event.payload.carrier}` }]
          : [shippedMove(event, false)],
        set: {},
        emit: [],
      };
    case 'SHIPPED':
      if (!delivered) return ignore(state, event);
      return {
        kind: 'CHANGE',
        moves: [{ to: 'DELIVERED', reason: `Delivered by ${event.payload.carrier}` }],
        set: {},
        emit: [],
      };
    case 'DELIVERED':
      return ignore(state, event);
    case 'CANCELLED': {
      if (state.history.some((entry) => entry.eventId === event.eventId)) return ignore(state, event);
      const what = delivered ? 'delivered' : 'picked up';
      return {
        kind: 'CHANGE',
        moves: [],
        note: `Parcel ${event.payload.trackingNumber} ${what} after the order was cancelled; to be returned to the sender`,
        set: {},
        emit: [],
      };
    }
    default: {
      const unhandled: never = state.status;
      throw new SagaInvariantError(`Unknown order status ${String(unhandled)}`);
    }
  }
}

/** What an incoming event does to an order. */
export function decide(state: OrderState, event: SagaEvent, now: Date): Decision {
  const at = now.toISOString();
  switch (event.eventType) {
    case 'StockReserved': {
      const { reservationId } = event.payload;
      if (state.status === 'PENDING') {
        return {
          kind: 'CHANGE',
          moves: [reservedMove(reservationId, false)],
          set: { reservationId },
          emit: [],
        };
      }
      // The order ended before the reservation was recorded: give the stock back.
      if (state.status === 'CANCELLED' && !state.reservationId) {
        return {
          kind: 'CHANGE',
          moves: [],
          note: `Stock reserved (${reservationId}) after the order was cancelled; released`,
          set: { reservationId, releaseRequested: true },
          emit: [
            {
              type: 'StockReleaseRequested',
              payload: {
                orderId: state.orderId,
                reservationId,
                lines: event.payload.lines.map((line) => ({
                  productId: line.productId,
                  quantity: line.quantity,
                })),
                reason: 'Order cancelled before the reservation was recorded',
              },
            },
          ],
        };
      }
      return ignore(state, event);
    }
    case 'StockRejected': {
      if (state.status !== 'PENDING') return ignore(state, event);
      const detail = event.payload.lines
        .map((line) => `${line.productId}: ${line.requested} requested, ${line.available} available`)
        .join('; ')
        .slice(0, 1024);
      return {
        kind: 'CHANGE',
        moves: [{ to: 'CANCELLED', reason: `Stock rejected: ${event.payload.reason}` }],
        set: {},
        emit: [
          {
            type: 'OrderCancelled',
            payload: {
              orderId: state.orderId,
              reason: 'STOCK_REJECTED',
              detail,
              cancelledAt: at,
              recipient: state.recipient,
              cancelledFrom: cancelledFromOf(state),
            },
          },
        ],
      };
    }
    case 'PaymentPending': {
      const { paymentId } = event.payload;
      if (state.status === 'CANCELLED') {
        // A payment whose outcome the order already recorded is not open any more.
        const emit = state.paymentId === undefined ? reversal(state, paymentId, 'ORDER_CANCELLED') : [];
        if (emit.length === 0) return ignore(state, event);
        return {
          kind: 'CHANGE',
          moves: [],
          note: `Payment ${paymentId} still open after the order was cancelled; reversal requested`,
          set: { paymentId, reversalRequested: true },
          emit,
        };
      }
      if (state.status !== 'PENDING' && state.status !== 'STOCK_RESERVED') return ignore(state, event);
      const reservation = reservationFor(state, event);
      if (!reservation) return notReady(state, event);
      return {
        kind: 'CHANGE',
        moves: [
          ...reservation.moves,
          {
            to: 'PAYMENT_PENDING',
            reason: `Payment ${PENDING_REASONS[event.payload.reason]}; status checks until ${event.payload.deadline}`,
          },
        ],
        set: { reservationId: reservation.id, paymentId },
        emit: [],
      };
    }
    case 'PaymentSucceeded': {
      const { paymentId } = event.payload;
      if (state.status === 'CANCELLED') {
        const emit = reversal(state, paymentId, 'ORDER_CANCELLED');
        if (emit.length === 0) return ignore(state, event);
        return {
          kind: 'CHANGE',
          moves: [],
          note: `Payment ${paymentId} succeeded after the order was cancelled; refund requested`,
          set: { paymentId, reversalRequested: true },
          emit,
        };
      }
      if (state.status !== 'PENDING' && !PAYMENT_STAGES.includes(state.status)) return ignore(state, event);
      const reservation = reservationFor(state, event);
      if (!reservation) return notReady(state, event);
      return {
        kind: 'CHANGE',
        moves: [...reservation.moves, { to: 'CONFIRMED', reason: `Payment succeeded (${paymentId})` }],
        set: { reservationId: reservation.id, paymentId },
        emit: [
          {
            type: 'OrderConfirmed',
            payload: {
              orderId: state.orderId,
              paymentId,
              total: state.total,
              confirmedAt: at,
              recipient: state.recipient,
            },
          },
        ],
      };
    }
    case 'PaymentFailed': {
      if (state.status !== 'PENDING' && !PAYMENT_STAGES.includes(state.status)) return ignore(state, event);
      const reservation = reservationFor(state, event);
      if (!reservation) return notReady(state, event);
      const deadline = event.payload.reason === 'DEADLINE_EXCEEDED';
      const explanation = deadline ? 'Payment deadline exceeded' : `Payment failed: ${event.payload.reason}`;
      const cancelled = cancellation(
        state,
        reservation.id,
        deadline ? 'PAYMENT_DEADLINE_EXCEEDED' : 'PAYMENT_FAILED',
        explanation,
        at,
        event.payload.detail,
      );
      return {
        kind: 'CHANGE',
        moves: [...reservation.moves, { to: 'CANCELLED', reason: explanation }],
        set: { reservationId: reservation.id, paymentId: event.payload.paymentId, ...cancelled.set },
        emit: [...cancelled.release, cancelled.cancelled],
      };
    }
    case 'PaymentVoided':
    case 'PaymentRefunded': {
      const what = event.eventType === 'PaymentVoided' ? 'voided' : 'refunded';
      return {
        kind: 'CHANGE',
        moves: [],
        note: `Payment ${event.payload.paymentId} ${what} (${event.payload.reason})`,
        set: {},
        emit: [],
      };
    }
    case 'OrderShipped':
    case 'OrderDelivered':
      return decideShipping(state, event);
    default: {
      const unhandled: never = event;
      throw new SagaInvariantError(`Unhandled saga event ${(unhandled as SagaEvent).eventType}`);
    }
  }
}

/**
 * Cancels an order that has not finished and compensates what it holds: releases a recorded
 * reservation and reverses a recorded payment, each once, and announces the cancellation. What is
 * still in flight (a reservation or payment the order has not recorded yet) is compensated when its
 * event arrives at the CANCELLED order (see `decide`).
 */
function cancelAndCompensate(
  state: OrderState,
  reason: OrderCancellationReasonV2,
  explanation: string,
  now: Date,
  detail?: string,
): Change {
  const cancelled = cancellation(state, state.reservationId, reason, explanation, now.toISOString(), detail);
  const reverse = state.paymentId ? reversal(state, state.paymentId, 'ORDER_CANCELLED') : [];
  return {
    kind: 'CHANGE',
    moves: [{ to: 'CANCELLED', reason: explanation }],
    set: { ...cancelled.set, ...(reverse.length > 0 ? { reversalRequested: true } : {}) },
    emit: [...cancelled.release, ...reverse, cancelled.cancelled],
  };
}

/**
 * What the reconciler does to an order that stopped moving: cancel it with `TIMED_OUT` and compensate
 * what it holds (release a recorded reservation, reverse a recorded payment). A finished order is left
 * alone.
 */
export function decideTimeout(state: OrderState, now: Date, idleFor: string): Decision {
  if (isSagaFinished(state.status)) {
    return { kind: 'IGNORE', reason: `The order is ${state.status}` };
  }
  return cancelAndCompensate(state, 'TIMED_OUT', `No progress for ${idleFor}; the order timed out`, now);
}

/** The longest reason a customer may give for a cancellation. */
export const CANCEL_REASON_MAX_LENGTH = 200;

/** What a customer asks of their own order (ownership is checked before the decider runs). */
export type OrderCommand = {
  readonly type: 'CancelRequested';
  /** The customer's own words, if any; carried as the detail of OrderCancelled. */
  readonly reason?: string | undefined;
};

/**
 * The outcome of a customer's command:
 * - `CHANGE`: see `Change`;
 * - `ALREADY_CANCELLED`: the order is cancelled already (by this command or by the saga); nothing
 *   changes and the answer is the order as it is;
 * - `REJECTED`: the order is in a status the command does not apply to.
 */
export type CommandDecision =
  | Change
  | { readonly kind: 'ALREADY_CANCELLED' }
  | { readonly kind: 'REJECTED'; readonly code: 'ORDER_NOT_CANCELLABLE'; readonly status: OrderStatus };

/**
 * What a customer's command does to their order. A cancellation is accepted until the order ships
 * (PENDING, STOCK_RESERVED, PAYMENT_PENDING, CONFIRMED) and compensates like a timeout, with the
 * reason `CUSTOMER_REQUEST`: the reservation is released and a recorded payment reversed (the payment
 * service voids an open authorization and refunds a captured payment); the shipping service cancels
 * the parcel when it sees OrderCancelled. A SHIPPED or DELIVERED order is not cancellable: the parcel
 * is with the carrier or the customer, so undoing it is a return, not a cancellation.
 */
export function decideCommand(state: OrderState, command: OrderCommand, now: Date): CommandDecision {
  switch (command.type) {
    case 'CancelRequested': {
      switch (state.status) {
        case 'PENDING':
        case 'STOCK_RESERVED':
        case 'PAYMENT_PENDING':
        case 'CONFIRMED':
          return cancelAndCompensate(
            state,
            'CUSTOMER_REQUEST',
            command.reason ? `Cancelled by the customer: ${command.reason}` : 'Cancelled by the customer',
            now,
            command.reason,
          );
        case 'CANCELLED':
          return { kind: 'ALREADY_CANCELLED' };
        case 'SHIPPED':
        case 'DELIVERED':
          return { kind: 'REJECTED', code: 'ORDER_NOT_CANCELLABLE', status: state.status };
        default: {
          const unhandled: never = state.status;
          throw new SagaInvariantError(`Unknown order status ${String(unhandled)}`);
        }
      }
    }
    default: {
      const unhandled: never = command.type;
      throw new SagaInvariantError(`Unhandled order command ${String(unhandled)}`);
    }
  }
}

/**
 * The order after a change: the status moves (each checked against the state machine, throwing
 * `InvalidTransitionError` for one it does not allow) or the note as a history entry, the fields it
 * sets, one more version; every history entry carries the time and the event that caused it.
 */
export function evolve(
  state: OrderState,
  change: Change,
  causeEventId: string | undefined,
  now: Date,
): OrderState {
  let status = state.status;
  const entries: HistoryEntry[] = [];
  for (const move of change.moves) {
    entries.push(transition(status, move.to, move.reason, now, causeEventId));
    status = move.to;
  }
  if (change.note) {
    entries.push({
      status,
      at: now.toISOString(),
      reason: change.note,
      ...(causeEventId ? { eventId: causeEventId } : {}),
    });
  }
  return {
    ...state,
    ...change.set,
    status,
    version: state.version + 1,
    updatedAt: now.toISOString(),
    history: [...state.history, ...entries],
  };
}
