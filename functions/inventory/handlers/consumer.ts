import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { documentClient } from '#platform/clients';
import { kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { requireEnv } from '#platform/env';
import { logger, metrics } from '#platform/powertools';
import { InventoryService } from '../service';

const inventory = new InventoryService({
  client: documentClient,
  inventoryTable: requireEnv('INVENTORY_TABLE_NAME'),
  productsTable: requireEnv('PRODUCTS_TABLE_NAME'),
});

const OUTCOME_METRICS = {
  RESERVED: 'StockReserved',
  REJECTED: 'StockRejected',
  RELEASED: 'StockReleased',
} as const;

function count(outcome: string): void {
  const name = OUTCOME_METRICS[outcome as keyof typeof OUTCOME_METRICS];
  if (name) metrics.addMetric(name, MetricUnit.Count, 1);
}

/**
 * Inventory consumer of `orders.events`: OrderCreated reserves stock (all lines or none),
 * StockReleaseRequested gives a reservation back. Both are exactly-once through conditional writes.
 */
export const handler = kafkaConsumerHandler({
  service: 'inventory',
  handlers: {
    OrderCreated: async (event, { now }) => {
      const outcome = await inventory.reserve(event, now);
      count(outcome);
      logger.info('reservation handled', { outcome, reservationLines: event.payload.lines.length });
    },
    StockReleaseRequested: async (event, { now }) => {
      const outcome = await inventory.release(event, now);
      count(outcome);
      logger.info('release handled', { outcome });
    },
  },
});
