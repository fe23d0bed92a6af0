import type {
  DomainEventOf,
  EventPayload,
  Money,
  OrderCancellationReason,
  PaymentPendingReason,
} from '#events';
import { PermanentError } from '#platform/errors';
import { type HistoryEntry, type OrderStatus, transition } from './order';

/**
 * The order saga as a decider: `decide` says what an incoming event does to an order, `evolve`
 * applies that decision to the order's state. Both are pure (time is passed in); the order store
 * persists the result in one conditional write with the emitted events.
 */

/** The events the order saga reacts to. */
export type SagaEvent =
  | DomainEventOf<'StockReserved'>
  | DomainEventOf<'StockRejected'>
  | DomainEventOf<'PaymentPending'>
  | DomainEventOf<'PaymentSucceeded'>
  | DomainEventOf<'PaymentFailed'>;

/** What the saga knows about an order. */
export interface OrderState {
  readonly orderId: string;
  readonly status: OrderStatus;
  readonly version: number;
  readonly total: Money;
  readonly lines: readonly { readonly productId: string; readonly quantity: number }[];
  readonly reservationId?: string | undefined;
  readonly paymentId?: string | undefined;
  readonly history: readonly HistoryEntry[];
  readonly updatedAt: string;
}

/** An event the saga emits, before it gets its envelope. */
export type Emitted =
  | { type: 'OrderConfirmed'; payload: EventPayload<'OrderConfirmed'> }
  | { type: 'OrderCancelled'; payload: EventPayload<'OrderCancelled'> }
  | { type: 'StockReleaseRequested'; payload: EventPayload<'StockReleaseRequested'> };

/** Move the order to `to` (recording `reason`), set the ids, emit the events. */
export interface Transition {
  readonly kind: 'TRANSITION';
  readonly to: OrderStatus;
  readonly reason: string;
  readonly set: { readonly reservationId?: string; readonly paymentId?: string };
  readonly emit: readonly Emitted[];
}

/**
 * The outcome of one event for one order:
 * - `TRANSITION`: see `Transition`;
 * - `IGNORE`: the order is already past this event (a repeat, or a late event for a finished order);
 *   nothing changes and it is not an error;
 * - `NOT_READY`: the event arrived before its precondition (e.g. PaymentSucceeded while the order is
 *   still PENDING because StockReserved is late); it must be retried, not dropped.
 */
export type Decision =
  | Transition
  | { kind: 'IGNORE'; reason: string }
  | { kind: 'NOT_READY'; reason: string };

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

/** What an incoming event does to an order. */
export function decide(state: OrderState, event: SagaEvent, now: Date): Decision {
  const at = now.toISOString();
  switch (event.eventType) {
    case 'StockReserved': {
      if (state.status !== 'PENDING') return ignore(state, event);
      return {
        kind: 'TRANSITION',
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
      return {
        kind: 'TRANSITION',
        to: 'PAYMENT_PENDING',
        reason: `Payment ${PENDING_REASONS[event.payload.reason]}; status checks until ${event.payload.deadline}`,
        set: { paymentId: event.payload.paymentId },
        emit: [],
      };
    }
    case 'PaymentSucceeded': {
      if (state.status === 'PENDING') return notReady(state, event);
      if (!PAYMENT_STAGES.includes(state.status)) return ignore(state, event);
      return {
        kind: 'TRANSITION',
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

/**
 * The order after a transition: the new status, one more version, the ids it sets and a history
 * entry with the time, the reason and the event that caused it. Throws `InvalidTransitionError` for a
 * move the state machine does not allow.
 */
export function evolve(state: OrderState, change: Transition, causeEventId: string, now: Date): OrderState {
  const entry = transition(state.status, change.to, change.reason, now, causeEventId);
  return {
    ...state,
    ...change.set,
    status: change.to,
    version: state.version + 1,
    updatedAt: now.toISOString(),
    history: [...state.history, entry],
  };
}
