import { CfnOutput } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { NotificationConsumerFn } from '#functions/notifications/contract';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface NotificationsStackProps extends ServiceStackProps {
  /**
   * Probability (0..1) of a random transient failure of each mock provider call
   * (`NOTIFY_FAILURE_RATE`), for chaos and load runs; the contract's default when unset.
   */
  readonly failureRate?: number;
}

/**
 * Notification service: consumes `orders.events` and sends an email for OrderConfirmed and an email
 * and an SMS for OrderCancelled through the (mock) providers. Each notification is one conditional
 * put on the `notifications` table carrying its NotificationSent or NotificationFailed event, which
 * the table's outbox relay publishes to `notifications.events`. Depends on nothing but messaging.
 */
export class NotificationsStack extends ServiceStack {
  readonly notificationsTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly consumer: KafkaConsumer<typeof NotificationConsumerFn>;

  constructor(scope: Construct, id: string, props: NotificationsStackProps) {
    super(scope, id, 'notifications', props);
    ({ table: this.notificationsTable, outbox: this.outbox } = this.addOutboxTable('NotificationsTable'));
    this.consumer = this.addConsumer('Consumer', {
      contract: NotificationConsumerFn,
      tables: { NOTIFICATIONS_TABLE_NAME: this.notificationsTable },
      settings: props.failureRate === undefined ? {} : { NOTIFY_FAILURE_RATE: props.failureRate },
    });
    new CfnOutput(this, 'NotificationsTableName', { value: this.notificationsTable.tableName });
  }
}
