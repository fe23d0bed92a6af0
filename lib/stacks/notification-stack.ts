import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { Topics } from '../../events/topics';
import { type AppConfig, removalPolicyFor } from '../config';
import type { KafkaConnection } from '../constructs/kafka-connection';
import { KafkaConsumer } from '../constructs/kafka-consumer';
import { OutboxRelay } from '../constructs/outbox-relay';
import { createOutboxTable } from '../constructs/outbox-table';
import { bindTable } from '../constructs/service-function';
import { InfrastructureError } from '../errors';
import type { LabelledFunction } from './order-service-stack';

export interface NotificationStackProps extends StackProps {
  readonly config: AppConfig;
  readonly kafka: KafkaConnection;
  readonly deadLetters: dynamodb.ITable;
  /**
   * Probability (0..1) of a random transient failure of each mock provider call
   * (`NOTIFY_FAILURE_RATE`), for chaos and load runs. @default 0
   */
  readonly failureRate?: number;
}

const SERVICE = 'notifications';

/**
 * Notification service: consumes `orders.events` and sends an email for OrderConfirmed and an email
 * and an SMS for OrderCancelled through the (mock) providers. Each notification and its
 * NotificationSent or NotificationFailed outbox row are one transaction on the `notifications`
 * table, whose outbox relay publishes to `notifications.events`. Depends on nothing but messaging.
 */
export class NotificationStack extends Stack {
  readonly notificationsTable: dynamodb.Table;
  readonly consumer: KafkaConsumer;
  readonly outbox: OutboxRelay;
  readonly functions: LabelledFunction[];
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: NotificationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyFor(config);
    const failureRate = props.failureRate ?? 0;
    if (!Number.isFinite(failureRate) || failureRate < 0 || failureRate > 1) {
      throw new InfrastructureError(`${this.node.path}: failureRate must be a number from 0 to 1`);
    }

    this.notificationsTable = createOutboxTable(this, 'NotificationsTable', {
      removalPolicy,
      deletionProtection: config.stage === 'prod',
    });

    this.consumer = new KafkaConsumer(this, 'Consumer', {
      entry: 'notifications/handlers/consumer.ts',
      // The consumer's service name: its consumer group, metrics dimension and dead letters.
      service: 'notification',
      kafka: props.kafka,
      topics: [Topics.orders],
      deadLetters: props.deadLetters,
      environment: { NOTIFY_FAILURE_RATE: String(failureRate) },
      removalPolicy,
    });
    bindTable(this.consumer.fn, this.notificationsTable, 'NOTIFICATIONS_TABLE_NAME', 'readWrite');

    this.outbox = new OutboxRelay(this, 'Outbox', {
      table: this.notificationsTable,
      serviceName: SERVICE,
      kafka: props.kafka,
      removalPolicy,
    });

    this.functions = [
      { label: 'notification-consumer', fn: this.consumer.fn },
      { label: 'notifications-relay', fn: this.outbox.relayFunction },
      { label: 'notifications-sweeper', fn: this.outbox.sweeperFunction },
    ];
    this.alarms = [...this.consumer.alarms, ...this.outbox.alarms];
    new CfnOutput(this, 'NotificationsTableName', { value: this.notificationsTable.tableName });
  }
}
