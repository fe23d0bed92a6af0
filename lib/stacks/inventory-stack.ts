import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { Topics } from '../../events/topics';
import { type AppConfig, removalPolicyFor } from '../config';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConnection } from '../constructs/kafka-connection';
import { KafkaConsumer } from '../constructs/kafka-consumer';
import { OutboxRelay } from '../constructs/outbox-relay';
import { createOutboxTable } from '../constructs/outbox-table';
import { bindTable } from '../constructs/service-function';
import type { LabelledFunction } from './order-service-stack';

export interface InventoryStackProps extends StackProps {
  readonly config: AppConfig;
  readonly kafka: KafkaConnection;
  /** The catalog's products table (order service); stock lives in its `stock` attribute. */
  readonly productsTable: dynamodb.ITable;
  /** The dead-letter table (messaging stack). */
  readonly deadLetters: dynamodb.ITable;
}

const SERVICE = 'inventory';

/**
 * The inventory service: consumes `orders.events` (OrderCreated reserves stock all-or-nothing,
 * StockReleaseRequested gives it back), decrements and restores `stock` in the catalog's products
 * table, and keeps reservations and its outbox in its own `inventory` table, published to
 * `inventory.events` by an outbox relay.
 */
export class InventoryStack extends Stack {
  readonly inventoryTable: dynamodb.Table;
  readonly consumer: KafkaConsumer;
  readonly outbox: OutboxRelay;
  readonly functions: LabelledFunction[];
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: InventoryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyFor(config);

    this.inventoryTable = createOutboxTable(this, 'InventoryTable', {
      removalPolicy,
      deletionProtection: config.stage === 'prod',
    });
    this.outbox = new OutboxRelay(this, 'Outbox', {
      table: this.inventoryTable,
      serviceName: SERVICE,
      kafka: props.kafka,
      removalPolicy,
    });
    this.consumer = new KafkaConsumer(this, 'Consumer', {
      entry: 'inventory/handlers/consumer.ts',
      service: SERVICE,
      kafka: props.kafka,
      topics: [Topics.orders],
      deadLetters: props.deadLetters,
      batchSize: 50,
      removalPolicy,
    });
    bindTable(this.consumer.fn, this.inventoryTable, 'INVENTORY_TABLE_NAME', 'readWrite');
    bindTable(this.consumer.fn, props.productsTable, 'PRODUCTS_TABLE_NAME', 'readWrite');

    this.functions = [
      { label: 'inventory-consumer', fn: this.consumer.fn },
      { label: 'inventory-relay', fn: this.outbox.relayFunction },
      { label: 'inventory-sweeper', fn: this.outbox.sweeperFunction },
    ];
    this.alarms = [
      ...this.outbox.alarms,
      ...this.consumer.alarms,
      alarmAboveZero(
        this,
        'ConsumerErrorsAlarm',
        'Inventory consumer: invocations fail (batches are retried; events may dead-letter)',
        this.consumer.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ),
    ];
    new CfnOutput(this, 'InventoryTableName', { value: this.inventoryTable.tableName });
  }
}
