import type { EventPayload, Recipient } from '#events';
import { PermanentError } from '#platform/errors';

/**
 * A shipment's life, one per confirmed order:
 *
 *   (none) ─► CREATED ─► SHIPPED ─► DELIVERED
 *      │         │
 *      │         └──► CANCELLED   (OrderCancelled before the carrier picked the parcel up)
 *      ├──► FAILED                (the carrier refused the booking for good)
 *      └──► CANCELLED             (OrderCancelled ahead of any booking: a tombstone, nothing is booked)
 *
 * The carrier reports through signed webhooks: PICKED_UP and IN_TRANSIT ship the parcel (the first of
 * them emits OrderShipped), DELIVERED delivers it (OrderDelivered; OrderShipped first when no pickup
 * was reported). A report the shipment is already past changes nothing, so replays are harmless.
 */
export const SHIPMENT_STATUSES = ['CREATED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'FAILED'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** The statuses a carrier webhook reports. */
export const CARRIER_STATUSES = ['PICKED_UP', 'IN_TRANSIT', 'DELIVERED'] as const;
export type CarrierStatus = (typeof CARRIER_STATUSES)[number];

/** What the shipping service knows about one shipment. */
export interface ShipmentState {
  readonly shipmentId: string;
  readonly orderId: string;
  readonly status: ShipmentStatus;
  readonly version: number;
  readonly carrier?: string | undefined;
  readonly trackingNumber?: string | undefined;
  readonly recipient?: Recipient | undefined;
}

/** A carrier's status report, as verified and parsed from its webhook. */
export interface CarrierReport {
  readonly eventId: string;
  readonly status: CarrierStatus;
  readonly occurredAt: string;
}

/** An event the shipping service emits, before it gets its envelope. */
export type ShippingEmitted =
  | { type: 'OrderShipped'; payload: EventPayload<'OrderShipped'> }
  | { type: 'OrderDelivered'; payload: EventPayload<'OrderDelivered'> };

export type ReportDecision =
  | {
      readonly kind: 'CHANGE';
      readonly to: 'SHIPPED' | 'DELIVERED';
      readonly emit: readonly ShippingEmitted[];
    }
  | { readonly kind: 'IGNORE'; readonly reason: string };

export type CancelDecision =
  /** Nothing was booked yet: record a tombstone so a late OrderConfirmed books nothing. */
  | { readonly kind: 'TOMBSTONE' }
  /** Booked, not picked up: cancel at the carrier and record it. */
  | { readonly kind: 'CANCEL_AT_CARRIER'; readonly trackingNumber: string }
  /** Failed or cancelled before: nothing to do. */
  | { readonly kind: 'NOTHING_TO_CANCEL'; readonly status: ShipmentStatus }
  /** The parcel is with the carrier already (the race rule in docs/architecture.md): an operator recovers it. */
  | { readonly kind: 'TOO_LATE'; readonly status: ShipmentStatus };

/** The shipment breaks an invariant (e.g. CREATED without a tracking number). */
export class ShipmentInvariantError extends PermanentError {
  readonly code = 'SHIPMENT_INVARIANT_BROKEN';
}

/** The shipment of an order: one per order, so its id is derived from the orderId. */
export function shipmentIdFor(orderId: string): string {
  return `shp-${orderId}`;
}

function booked(state: ShipmentState): { carrier: string; trackingNumber: string; recipient: Recipient } {
  if (!state.carrier || !state.trackingNumber || !state.recipient) {
    throw new ShipmentInvariantError(`Shipment ${state.shipmentId} is ${state.status} but was never booked`);
  }
  return { carrier: state.carrier, trackingNumber: state.trackingNumber, recipient: state.recipient };
}

/** What a carrier's status report does to a shipment. */
export function decideReport(state: ShipmentState, report: CarrierReport): ReportDecision {
  const ignore = (why: string): ReportDecision => ({
    kind: 'IGNORE',
    reason: `${report.status} on a ${state.status} shipment: ${why}`,
  });
  switch (state.status) {
    case 'CANCELLED':
    case 'FAILED':
      return ignore('the shipment is closed');
    case 'DELIVERED':
      return ignore('already delivered');
    case 'CREATED':
    case 'SHIPPED':
      break;
    default: {
      const unhandled: never = state.status;
      throw new ShipmentInvariantError(`Unknown shipment status ${String(unhandled)}`);
    }
  }
  const fields = { orderId: state.orderId, shipmentId: state.shipmentId, ...booked(state) };
  const shipped: ShippingEmitted = {
    type: 'OrderShipped',
    payload: { ...fields, shippedAt: report.occurredAt },
  };
  switch (report.status) {
    case 'PICKED_UP':
    case 'IN_TRANSIT':
      if (state.status === 'SHIPPED') return ignore('already shipped');
      return { kind: 'CHANGE', to: 'SHIPPED', emit: [shipped] };
    case 'DELIVERED':
      return {
        kind: 'CHANGE',
        to: 'DELIVERED',
        emit: [
          // A delivery reported without a pickup ships the parcel too, so OrderShipped always comes first.
          ...(state.status === 'CREATED' ? [shipped] : []),
          { type: 'OrderDelivered', payload: { ...fields, deliveredAt: report.occurredAt } },
        ],
      };
    default: {
      const unhandled: never = report.status;
      throw new ShipmentInvariantError(`Unknown carrier status ${String(unhandled)}`);
    }
  }
}

/** What OrderCancelled does to the order's shipment (undefined: there is none yet). */
export function decideCancel(state: ShipmentState | undefined): CancelDecision {
  if (!state) return { kind: 'TOMBSTONE' };
  switch (state.status) {
    case 'CREATED':
      return { kind: 'CANCEL_AT_CARRIER', trackingNumber: booked(state).trackingNumber };
    case 'CANCELLED':
    case 'FAILED':
      return { kind: 'NOTHING_TO_CANCEL', status: state.status };
    case 'SHIPPED':
    case 'DELIVERED':
      return { kind: 'TOO_LATE', status: state.status };
    default: {
      const unhandled: never = state.status;
      throw new ShipmentInvariantError(`Unknown shipment status ${String(unhandled)}`);
    }
  }
}
