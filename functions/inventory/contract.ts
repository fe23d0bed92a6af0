import { defineConsumer } from '#platform/consumer/contract';
import { defineFunction } from '#platform/contract';

/** Inventory: it writes the `inventory` table (stock per product, reservations, outbox). */

export const InventoryConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'inventory',
  entry: 'inventory/handlers/consumer.ts',
  description: 'Reserves stock for new orders (all lines or none) and releases it for compensations',
  consumes: ['OrderCreated', 'StockReleaseRequested'],
  tables: { INVENTORY_TABLE_NAME: 'readWrite' },
  metrics: { StockReserved: 'Count', StockRejected: 'Count', StockReleased: 'Count' },
});

export const SeedStockFn = defineFunction({
  name: 'seed-stock',
  service: 'inventory',
  entry: 'inventory/handlers/seed-stock.ts',
  trigger: 'CloudFormation custom resource `Custom::SeedStock` (Provider framework `onEvent`)',
  description: 'Seeds the stock of every catalog product on deploy',
  tables: { INVENTORY_TABLE_NAME: 'readWrite' },
  metrics: {},
});

export const AdjustStockFn = defineFunction({
  name: 'adjust-stock',
  service: 'inventory',
  entry: 'inventory/handlers/adjust-stock.ts',
  trigger: 'PUT /admin/products/{productId}/stock',
  description:
    "Back office (admins group): sets or adds to a product's stock, with an audit record and a StockAdjusted event",
  // Granted only what it touches: the stock items (GetItem, UpdateItem) and the audit items (PutItem);
  // it reads the catalog for a product that has no stock item yet.
  tables: { INVENTORY_TABLE_NAME: 'named', PRODUCTS_TABLE_NAME: 'read' },
  metrics: {},
});
