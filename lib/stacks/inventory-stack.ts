import { CfnOutput } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { InventoryConsumerFn } from '#functions/inventory/contract';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface InventoryStackProps extends ServiceStackProps {
  /** The catalog's products table (orders stack); stock lives in its `stock` attribute. */
  readonly productsTable: dynamodb.ITable;
}

/**
 * The inventory service: consumes `orders.events` (OrderCreated reserves stock all-or-nothing,
 * StockReleaseRequested gives it back), decrements and restores `stock` in the catalog's products
 * table, and keeps reservations and its outbox in its own `inventory` table, published to
 * `inventory.events` by an outbox relay.
 */
export class InventoryStack extends ServiceStack {
  readonly inventoryTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly consumer: KafkaConsumer<typeof InventoryConsumerFn>;

  constructor(scope: Construct, id: string, props: InventoryStackProps) {
    super(scope, id, 'inventory', props);
    ({ table: this.inventoryTable, outbox: this.outbox } = this.addOutboxTable('InventoryTable'));
    this.consumer = this.addConsumer('Consumer', {
      contract: InventoryConsumerFn,
      tables: { INVENTORY_TABLE_NAME: this.inventoryTable, PRODUCTS_TABLE_NAME: props.productsTable },
      batchSize: 50,
    });
    new CfnOutput(this, 'InventoryTableName', { value: this.inventoryTable.tableName });
  }
}
