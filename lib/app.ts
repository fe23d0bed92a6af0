import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { type AppConfig, stackPrefix } from './config';
import { ConfigError } from './errors';
import { AnalyticsStack } from './stacks/analytics-stack';
import { InventoryStack } from './stacks/inventory-stack';
import { MessagingStack } from './stacks/messaging-stack';
import { NetworkStack } from './stacks/network-stack';
import { NotificationStack } from './stacks/notification-stack';
import { ObservabilityStack } from './stacks/observability-stack';
import { OrderServiceStack } from './stacks/order-service-stack';
import { PaymentStack } from './stacks/payment-stack';

export interface OrderSagaStacks {
  readonly network: NetworkStack;
  readonly messaging: MessagingStack;
  readonly analytics: AnalyticsStack;
  readonly orderService: OrderServiceStack;
  readonly inventory: InventoryStack;
  readonly payments: PaymentStack;
  readonly notification: NotificationStack;
  readonly observability: ObservabilityStack;
}

/**
 * Builds the platform into `app`: `OrderSaga-<stage>-Network`, `-Messaging`, `-OrderService` (with
 * the REST API) and `-Observability`. Stacks are environment-agnostic unless the config names an
 * account or region, so `cdk synth` works offline.
 */
export function buildApp(app: App, config: AppConfig): OrderSagaStacks {
  const prefix = stackPrefix(config);
  const env: Environment | undefined =
    config.account || config.region
      ? {
          ...(config.account ? { account: config.account } : {}),
          ...(config.region ? { region: config.region } : {}),
        }
      : undefined;
  const common = { config, ...(env ? { env } : {}) };

  const network = new NetworkStack(app, `${prefix}-Network`, {
    ...common,
    description: `OrderSaga ${config.stage}: VPC, endpoints and the Kafka client security group`,
  });
  const messaging = new MessagingStack(app, `${prefix}-Messaging`, {
    ...common,
    description: `OrderSaga ${config.stage}: MSK Serverless (IAM auth) and Kafka topics`,
    vpc: network.vpc,
    subnets: network.isolatedSubnets,
    kafkaClientSecurityGroup: network.kafkaClientSecurityGroup,
  });
  const analytics = new AnalyticsStack(app, `${prefix}-Analytics`, {
    ...common,
    description: `OrderSaga ${config.stage}: analytics counters over every topic`,
    kafka: messaging.kafka,
    deadLetters: messaging.deadLetters,
  });
  const orderService = new OrderServiceStack(app, `${prefix}-OrderService`, {
    ...common,
    description: `OrderSaga ${config.stage}: order service, catalog, outbox relay and the public REST API`,
    kafka: messaging.kafka,
    deadLetters: messaging.deadLetters,
    analyticsTable: analytics.analyticsTable,
  });
  const inventory = new InventoryStack(app, `${prefix}-Inventory`, {
    ...common,
    description: `OrderSaga ${config.stage}: inventory service (stock reservations) and its outbox relay`,
    kafka: messaging.kafka,
    productsTable: orderService.productsTable,
    deadLetters: messaging.deadLetters,
  });
  const pspBaseUrl = config.pspMode === 'live' ? config.pspBaseUrl : orderService.psp?.baseUrl;
  if (pspBaseUrl === undefined)
    throw new ConfigError('No PSP base URL: set "pspBaseUrl" with "pspMode=live"');
  const payments = new PaymentStack(app, `${prefix}-Payments`, {
    ...common,
    description: `OrderSaga ${config.stage}: payment service, PSP status workflow and its outbox relay`,
    kafka: messaging.kafka,
    deadLetters: messaging.deadLetters,
    pspBaseUrl,
  });
  const notification = new NotificationStack(app, `${prefix}-Notification`, {
    ...common,
    description: `OrderSaga ${config.stage}: notification service (email and SMS) and its outbox relay`,
    kafka: messaging.kafka,
    deadLetters: messaging.deadLetters,
  });
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, {
    ...common,
    description: `OrderSaga ${config.stage}: dashboard, alarm topic and notifications`,
    api: orderService.api.api,
    functions: [
      ...orderService.functions,
      ...inventory.functions,
      ...payments.functions,
      ...notification.functions,
      ...analytics.functions,
    ],
    outboxes: [
      { label: 'orders', relay: orderService.outbox },
      { label: 'inventory', relay: inventory.outbox },
      { label: 'payments', relay: payments.outbox },
      { label: 'notifications', relay: notification.outbox },
      { label: 'dead-letters', relay: messaging.deadLetterOutbox },
    ],
    alarms: [
      ...orderService.alarms,
      ...inventory.alarms,
      ...payments.alarms,
      ...notification.alarms,
      ...analytics.alarms,
      ...messaging.deadLetterOutbox.alarms,
    ],
  });

  Tags.of(app).add('project', 'order-saga');
  Tags.of(app).add('stage', config.stage);
  return { network, messaging, analytics, orderService, inventory, payments, notification, observability };
}
