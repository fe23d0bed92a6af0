import { defineConsumer } from '#platform/consumer/contract';

/** Inventory: it writes the `inventory` table (reservations, outbox) and the products' `stock`. */

export const InventoryConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'inventory',
  entry: 'inventory/handlers/consumer.ts',
  description: 'Reserves stock for new orders (all lines or none) and releases it for compensations',
  consumes: ['OrderCreated', 'StockReleaseRequested'],
  tables: { INVENTORY_TABLE_NAME: 'readWrite', PRODUCTS_TABLE_NAME: 'readWrite' },
  metrics: { StockReserved: 'Count', StockRejected: 'Count', StockReleased: 'Count' },
});
