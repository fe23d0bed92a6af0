import { documentClient, dynamoDb } from '#platform/clients';
import { kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { readEnv } from '#platform/env';
import { logger, metricsOf } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { InventoryConsumerFn } from '../contract';
import { InventoryService, type ReleaseOutcome, type ReserveOutcome } from '../service';

const env = readEnv(InventoryConsumerFn);
const inventory = new InventoryService({
  client: documentClient,
  inventoryTable: env.INVENTORY_TABLE_NAME,
});
const count = metricsOf(InventoryConsumerFn.metrics);

await primeOnInit([dynamoDbPrimer(dynamoDb, env.INVENTORY_TABLE_NAME)]);

const OUTCOME_METRICS = {
  RESERVED: 'StockReserved',
  REJECTED: 'StockRejected',
  RELEASED: 'StockReleased',
} as const satisfies Partial<
  Record<ReserveOutcome | ReleaseOutcome, keyof typeof InventoryConsumerFn.metrics>
>;

function countOutcome(outcome: ReserveOutcome | ReleaseOutcome): void {
  const name = OUTCOME_METRICS[outcome as keyof typeof OUTCOME_METRICS];
  if (name) count(name);
}

/**
 * Inventory consumer of `orders.events`: OrderCreated reserves stock (all lines or none),
 * StockReleaseRequested gives a reservation back. Both are exactly-once through conditional writes.
 */
export const handler = kafkaConsumerHandler(InventoryConsumerFn, env, {
  OrderCreated: async (event, { now }) => {
    const outcome = await inventory.reserve(event, now);
    countOutcome(outcome);
    logger.info('reservation handled', { outcome, reservationLines: event.payload.lines.length });
  },
  StockReleaseRequested: async (event, { now }) => {
    const outcome = await inventory.release(event, now);
    countOutcome(outcome);
    logger.info('release handled', { outcome });
  },
});
