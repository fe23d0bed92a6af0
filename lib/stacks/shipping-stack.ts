import { CfnOutput, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CarrierWebhookFn, ShippingConsumerFn } from '#functions/shipping/contract';
import { SHIPMENT_KEY_PREFIX } from '#functions/shipping/model';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { ServiceApi } from '../constructs/service-api';
import { grantTableActions, type ServiceFunction } from '../constructs/service-function';
import { WAF_RATE_LIMIT_PER_5_MINUTES } from './orders-stack';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/**
 * The shipping service: consumes `orders.events` (OrderConfirmed books a parcel with the carrier,
 * OrderCancelled cancels one not picked up yet) and keeps shipments in its own `shipping` table,
 * each carrying its events (ShipmentCreated, OrderShipped, OrderDelivered) for the outbox relay to
 * `shipping.events`. The carrier reports through `POST /carrier/webhooks` on the service's own API:
 * no user signs in there, every request is signed (HMAC-SHA256) with the secret in `webhookSecret`,
 * checked by the function before it reads anything.
 */
export class ShippingStack extends ServiceStack {
  readonly shippingTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly consumer: KafkaConsumer<typeof ShippingConsumerFn>;
  readonly webhookSecret: secretsmanager.Secret;
  readonly webhook: ServiceFunction<typeof CarrierWebhookFn>;
  readonly api: ServiceApi;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'shipping', props);
    ({ table: this.shippingTable, outbox: this.outbox } = this.addOutboxTable('ShippingTable'));
    this.consumer = this.addConsumer('Consumer', {
      contract: ShippingConsumerFn,
      tables: { SHIPPING_TABLE_NAME: this.shippingTable },
    });

    this.webhookSecret = new secretsmanager.Secret(this, 'CarrierWebhookSecret', {
      description:
        'Shared secret the carrier signs its webhooks with (HMAC-SHA256); the shipping API checks it',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: this.removalPolicy,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook secret is shared with the carrier, which has no rotation API: rotating means agreeing a new value with the carrier and putting it (the function reads it again within 5 minutes); see docs/runbook.md.',
    });
    this.webhook = this.addFunction('CarrierWebhook', {
      contract: CarrierWebhookFn,
      tables: { SHIPPING_TABLE_NAME: this.shippingTable },
      settings: { CARRIER_WEBHOOK_SECRET: this.webhookSecret.secretArn },
    });
    // A report reads one shipment and updates it: GetItem and UpdateItem on shipment items only.
    grantTableActions(this.webhook, this.shippingTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], {
      leadingKeys: [`${SHIPMENT_KEY_PREFIX}*`],
    });
    this.webhookSecret.grantRead(this.webhook);

    // Not `Api`: the local runtime knows a REST API by its logical id, which must differ from the order API's.
    this.api = new ServiceApi(this, 'CarrierApi', {
      restApiName: `OrderSaga-${this.config.stage}-shipping`,
      description: "Shipping API: the carrier's signed status webhooks",
      throttle: { rateLimit: 50, burstLimit: 100 },
      ...(this.config.stage === 'prod'
        ? { waf: { rateLimitPer5Minutes: WAF_RATE_LIMIT_PER_5_MINUTES } }
        : {}),
      // The order API's stack creates the account's API Gateway logging role.
      cloudWatchRole: false,
      logRemovalPolicy: this.removalPolicy,
    });
    this.api.addRoute('POST', '/carrier/webhooks', this.webhook, {
      access: 'public',
      publicReason:
        'the carrier is no user of the user pool; every request must carry an HMAC-SHA256 signature of its body with the shared secret from Secrets Manager, which the function checks before it reads or writes anything',
    });
    this.alarms.push(
      this.errorsAlarm(
        'CarrierWebhookErrorsAlarm',
        this.webhook,
        'POST /carrier/webhooks: the function fails',
      ),
    );

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of the shipping API (carrier webhooks)',
    });
    new CfnOutput(this, 'ShippingTableName', { value: this.shippingTable.tableName });
    new CfnOutput(this, 'CarrierWebhookSecretArn', {
      value: this.webhookSecret.secretArn,
      description: 'The secret the carrier signs its webhooks with (header X-Carrier-Signature)',
    });
  }
}
