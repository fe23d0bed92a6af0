import type { Recipient } from '#events';
import type { ShipmentStatus } from './domain/shipment';

export const SHIPPING_SOURCE = 'shipping-service';

/** A shipment as stored in the `shipping` table (key `SHIPMENT#<shipmentId>` / `SHIPMENT`). */
export interface ShipmentItem {
  pk: string;
  sk: 'SHIPMENT';
  entity: 'SHIPMENT';
  shipmentId: string;
  orderId: string;
  status: ShipmentStatus;
  version: number;
  carrier?: string;
  trackingNumber?: string;
  recipient?: Recipient;
  correlationId: string;
  /** The eventId of ShipmentCreated: what OrderShipped and OrderDelivered are caused by. */
  createdEventId?: string;
  /** Why the carrier refused the booking (FAILED). */
  failureReason?: string;
  /** OrderCancelled arrived after the carrier picked the parcel up (see the race rule). */
  cancelTooLateAt?: string;
  /** The carrier's last webhook that changed the shipment. */
  lastCarrierEventId?: string;
  shippedAt?: string;
  deliveredAt?: string;
  cancelledAt?: string;
  createdAt: string;
  updatedAt: string;
}

export const SHIPMENT_KEY_PREFIX = 'SHIPMENT#';

export const shipmentKey = (shipmentId: string) => ({
  pk: `${SHIPMENT_KEY_PREFIX}${shipmentId}`,
  sk: 'SHIPMENT' as const,
});
