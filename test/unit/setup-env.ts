/**
 * Environment the functions read at module load. Test files that import a handler (or anything that
 * creates the Powertools utilities) import this module first, before the code under test.
 */
Object.assign(process.env, {
  ORDERS_TABLE_NAME: 'orders-test',
  PRODUCTS_TABLE_NAME: 'products-test',
  INVENTORY_TABLE_NAME: 'inventory-test',
  CUSTOMERS_TABLE_NAME: 'customers-test',
  OUTBOX_TABLE_NAME: 'orders-test',
  KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092',
  KAFKA_AUTH: 'none',
  KAFKA_IDEMPOTENT_PRODUCER: 'false',
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_NAMESPACE: 'Test',
  POWERTOOLS_SERVICE_NAME: 'test',
  AWS_REGION: 'us-east-1',
});

export const TEST_ENV = {
  ordersTable: 'orders-test',
  productsTable: 'products-test',
  inventoryTable: 'inventory-test',
  customersTable: 'customers-test',
  outboxTable: 'orders-test',
} as const;
