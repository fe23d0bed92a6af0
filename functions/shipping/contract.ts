import * as z from 'zod';
import { defineConsumer } from '#platform/consumer/contract';
import { defineFunction, setting } from '#platform/contract';

/** Shipping: it writes the `shipping` table (shipments carrying their events). */

export const ShippingConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'shipping',
  entry: 'shipping/handlers/consumer.ts',
  description:
    'Books a parcel with the carrier for every confirmed order (ShipmentCreated) and cancels it for a cancelled order not picked up yet',
  consumes: ['OrderConfirmed', 'OrderCancelled'],
  tables: { SHIPPING_TABLE_NAME: 'readWrite' },
  // No idempotency record per event: each handler reads the shipment and writes it once, conditioned
  // (a put on no shipment, an update on the version read), so a redelivered or concurrent event finds
  // its effect and writes nothing. A delivery that booked at the carrier but crashed before its put
  // books again: the carrier keys a booking on the shipmentId, so that is the same parcel. Cancelling
  // a cancelled parcel again is a no-op at the carrier.
  idempotency: 'handler',
  settings: z.object({
    CARRIER_MAX_ATTEMPTS: setting
      .int(3, { min: 1, max: 10 })
      .describe('carrier calls per booking (with backoff) before the record is retried later'),
  }),
  metrics: {
    ShipmentsCreated: 'Count',
    ShipmentsFailed: 'Count',
    ShipmentsCancelled: 'Count',
    CancelsTooLate: 'Count',
  },
});

export const CarrierWebhookFn = defineFunction({
  name: 'carrier-webhook',
  service: 'shipping',
  entry: 'shipping/handlers/carrier-webhook.ts',
  trigger: 'POST /carrier/webhooks (shipping API)',
  description:
    "Applies the carrier's signed status reports (HMAC-SHA256, secret in Secrets Manager): OrderShipped and OrderDelivered, once each",
  // Granted only GetItem and UpdateItem on shipment items.
  tables: { SHIPPING_TABLE_NAME: 'named' },
  settings: z.object({
    CARRIER_WEBHOOK_SECRET: setting
      .text()
      .describe('ARN of the Secrets Manager secret the carrier signs with'),
    WEBHOOK_TOLERANCE_SECONDS: setting
      .int(300, { min: 1, max: 3600 })
      .describe('how far a signature timestamp may be from now (replay protection)'),
  }),
  metrics: { WebhooksRejected: 'Count', OrdersShipped: 'Count', OrdersDelivered: 'Count' },
});
