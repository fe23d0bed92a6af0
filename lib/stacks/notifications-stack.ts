import { ArnFormat, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { NotificationConsumerFn } from '#functions/notifications/contract';
import type { NotifyConfig } from '../config';
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
 * The notification settings of the consumer for a channel configuration (`notifyMode` and identity);
 * every variable is set, empty when unused.
 */
export function notifySettingsOf(notify: NotifyConfig): Record<string, string> {
  const aws = notify.mode === 'aws' ? notify : undefined;
  return {
    NOTIFY_MODE: notify.mode,
    NOTIFY_FROM_EMAIL: aws?.fromEmail ?? '',
    NOTIFY_SES_CONFIGURATION_SET: aws?.sesConfigurationSet ?? '',
    NOTIFY_SMS_SENDER_ID: aws?.smsSenderId ?? '',
    NOTIFY_SMS_ORIGINATION_NUMBER: aws?.smsOriginationNumber ?? '',
  };
}

/**
 * Notification service: consumes `orders.events` and sends an email for OrderConfirmed and an email
 * and an SMS for OrderCancelled through the providers `notifyMode` picks: the mock ones (default), or
 * Amazon SES and SNS (`notifyMode=aws`), which only then get `ses:SendEmail` on the sender's identity
 * and `sns:Publish`. Each notification is one conditional
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
      settings: {
        ...notifySettingsOf(this.config.notify),
        ...(props.failureRate === undefined ? {} : { NOTIFY_FAILURE_RATE: props.failureRate }),
      },
    });
    if (this.config.notify.mode === 'aws') this.grantSending(this.config.notify);
    new CfnOutput(this, 'NotificationsTableName', { value: this.notificationsTable.tableName });
  }

  /**
   * `ses:SendEmail` on the sender's SES identities only (the address and its domain: SES authorizes
   * the send against whichever of them is verified) and the configuration set, for that sender
   * address only (`ses:FromAddress`); `sns:Publish` for SMS, which has no resource to scope it to.
   */
  private grantSending(notify: Extract<NotifyConfig, { mode: 'aws' }>): void {
    const stack = Stack.of(this);
    const ses = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const domain = notify.fromEmail.slice(notify.fromEmail.lastIndexOf('@') + 1);
    const fn = this.consumer.fn;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SendEmailFromSenderIdentity',
        actions: ['ses:SendEmail'],
        resources: [
          ses('identity', notify.fromEmail),
          ses('identity', domain),
          ...(notify.sesConfigurationSet === undefined
            ? []
            : [ses('configuration-set', notify.sesConfigurationSet)]),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': notify.fromEmail } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'PublishSms', actions: ['sns:Publish'], resources: ['*'] }),
    );
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sns:Publish to a phone number (SMS) has no resource to scope it to: an SMS is not sent to an ARN. The statement holds sns:Publish only; email is scoped to the sender identity ARNs.',
    });
  }
}
