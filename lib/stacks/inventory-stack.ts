import { CfnOutput, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { InventoryConsumerFn, SeedStockFn } from '#functions/inventory/contract';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { loadSeedCatalog, type SeedProduct, stockEntries } from '../constructs/product-seed';
import { TableSeed } from '../constructs/table-seed';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface InventoryStackProps extends ServiceStackProps {
  /** The seed whose stock levels the inventory starts with; defaults to `data/products.json`. */
  readonly products?: readonly SeedProduct[];
}

/**
 * The inventory service: consumes `orders.events` (OrderCreated reserves stock all-or-nothing,
 * StockReleaseRequested gives it back) and keeps stock (`STOCK#<productId>` items), reservations and
 * its outbox in its own `inventory` table, published to `inventory.events` by an outbox relay. Stock
 * is seeded on deploy; the catalog reads the stock items to show them (the orders stack grants that).
 */
export class InventoryStack extends ServiceStack {
  readonly inventoryTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly consumer: KafkaConsumer<typeof InventoryConsumerFn>;
  readonly stockSeed: TableSeed<typeof SeedStockFn>;

  constructor(scope: Construct, id: string, props: InventoryStackProps) {
    super(scope, id, 'inventory', props);
    ({ table: this.inventoryTable, outbox: this.outbox } = this.addOutboxTable('InventoryTable'));
    this.consumer = this.addConsumer('Consumer', {
      contract: InventoryConsumerFn,
      tables: { INVENTORY_TABLE_NAME: this.inventoryTable },
      batchSize: 50,
      // On the critical path of POST → CONFIRMED: invoked as soon as records arrive (no batching
      // window); under load the backlog fills batches by itself.
      maxBatchingWindow: Duration.seconds(0),
    });
    this.stockSeed = new TableSeed(this, 'StockSeed', {
      contract: SeedStockFn,
      tables: { INVENTORY_TABLE_NAME: this.inventoryTable },
      resourceType: 'Custom::SeedStock',
      properties: { Stock: stockEntries(props.products ?? loadSeedCatalog()) },
      description: 'Seeds the stock of the catalog products (Custom::SeedStock onEvent)',
      logRemovalPolicy: this.removalPolicy,
    });
    new CfnOutput(this, 'InventoryTableName', { value: this.inventoryTable.tableName });
  }
}
