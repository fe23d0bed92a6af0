import { documentClient, dynamoDb } from '#platform/clients';
import { kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { readEnv } from '#platform/env';
import { logger, metricsOf } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { MockCarrier } from '../carrier';
import { ShippingConsumerFn } from '../contract';
import { ShippingService } from '../service';
import { ShipmentStore } from '../store';

const env = readEnv(ShippingConsumerFn);
const shipping = new ShippingService({
  store: new ShipmentStore(documentClient, env.SHIPPING_TABLE_NAME),
  carrier: new MockCarrier(),
  maxAttempts: env.CARRIER_MAX_ATTEMPTS,
});
const count = metricsOf(ShippingConsumerFn.metrics);

await primeOnInit([dynamoDbPrimer(dynamoDb, env.SHIPPING_TABLE_NAME)]);

/**
 * Shipping consumer of `orders.events`: OrderConfirmed books the parcel with the carrier and emits
 * ShipmentCreated; OrderCancelled cancels a parcel that was not picked up. Every delivery of an
 * event runs its handler (no idempotency record, see the contract): each write is conditional on the
 * shipment, and an effect already there is neither written, booked nor counted again.
 */
export const handler = kafkaConsumerHandler(ShippingConsumerFn, env, {
  OrderConfirmed: async (event, { now }) => {
    const outcome = await shipping.book(event, now);
    if (outcome === 'CREATED') count('ShipmentsCreated');
    if (outcome === 'FAILED') {
      count('ShipmentsFailed');
      logger.error('the carrier refused the shipment; an operator must act (docs/runbook.md)');
    }
    logger.info('booking handled', { outcome });
  },
  OrderCancelled: async (event, { now }) => {
    const outcome = await shipping.cancel(event, now);
    if (outcome === 'CANCELLED') count('ShipmentsCancelled');
    if (outcome === 'TOO_LATE') {
      count('CancelsTooLate');
      logger.warn(
        'order cancelled after the carrier picked the parcel up; return to sender (docs/runbook.md)',
      );
    }
    logger.info('cancellation handled', { outcome });
  },
});
