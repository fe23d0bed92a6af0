import * as z from 'zod';
import { IdSchema, TimestampSchema } from './common';
import { RecipientSchema } from './orders';

/** Shipping service, topic `shipping.events`. */

/** The carrier's identity and its reference for one parcel. */
const ShipmentFields = {
  orderId: IdSchema,
  shipmentId: IdSchema,
  carrier: z.string().min(1).max(64),
  trackingNumber: z.string().min(1).max(64),
  /** Who the parcel goes to and who is told about it (the order's recipient, see `RecipientSchema`). */
  recipient: RecipientSchema,
};

/** A confirmed order's parcel was booked with the carrier: it has a tracking number, not yet picked up. */
export const ShipmentCreatedV1 = z.object({ ...ShipmentFields, createdAt: TimestampSchema }).strict();

/** The carrier picked the parcel up (first PICKED_UP or IN_TRANSIT report): the order is SHIPPED. */
export const OrderShippedV1 = z.object({ ...ShipmentFields, shippedAt: TimestampSchema }).strict();

/** The carrier delivered the parcel: the order is DELIVERED. */
export const OrderDeliveredV1 = z.object({ ...ShipmentFields, deliveredAt: TimestampSchema }).strict();
