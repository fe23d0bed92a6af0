import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { type AppConfig, stackPrefix } from './config';
import { ConfigError } from './errors';
import { AnalyticsStack } from './stacks/analytics-stack';
import { InventoryStack } from './stacks/inventory-stack';
import { MessagingStack } from './stacks/messaging-stack';
import { NetworkStack } from './stacks/network-stack';
import { NotificationsStack } from './stacks/notifications-stack';
import { ObservabilityStack } from './stacks/observability-stack';
import { OrdersStack } from './stacks/orders-stack';
import { PaymentsStack } from './stacks/payments-stack';

export interface OrderSagaStacks {
  readonly network: NetworkStack;
  readonly messaging: MessagingStack;
  readonly analytics: AnalyticsStack;
  readonly orders: OrdersStack;
  readonly inventory: InventoryStack;
  readonly payments: PaymentsStack;
  readonly notifications: NotificationsStack;
  readonly observability: ObservabilityStack;
}

/**
 * Builds the platform into `app`, one stack per service named after it (`OrderSaga-<stage>-Orders`,
 * `-Inventory`, `-Payments`, `-Notifications`, `-Analytics`) on top of `-Network` (VPC) and
 * `-Messaging` (Kafka, topics, dead letters), and `-Observability` (dashboard, alarm notifications).
 * Stacks are environment-agnostic unless the config names an account or region, so `cdk synth` works
 * offline.
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
  const describe = (what: string) => `OrderSaga ${config.stage}: ${what}`;

  const network = new NetworkStack(app, `${prefix}-Network`, {
    ...common,
    description: describe('VPC, endpoints and the Kafka client security group'),
  });
  const messaging = new MessagingStack(app, `${prefix}-Messaging`, {
    ...common,
    description: describe('MSK Serverless (IAM auth), Kafka topics and dead letters'),
    vpc: network.vpc,
    subnets: network.isolatedSubnets,
    kafkaClientSecurityGroup: network.kafkaClientSecurityGroup,
  });
  const service = { ...common, kafka: messaging.kafka, deadLetters: messaging.deadLetters };
  const analytics = new AnalyticsStack(app, `${prefix}-Analytics`, {
    ...service,
    description: describe('analytics counters over every topic'),
  });
  const orders = new OrdersStack(app, `${prefix}-Orders`, {
    ...service,
    description: describe('order service, catalog, outbox relay and the public REST API'),
    analyticsTable: analytics.analyticsTable,
  });
  const inventory = new InventoryStack(app, `${prefix}-Inventory`, {
    ...service,
    description: describe('inventory service (stock reservations) and its outbox relay'),
    productsTable: orders.productsTable,
  });
  const pspBaseUrl = config.pspMode === 'live' ? config.pspBaseUrl : orders.psp?.baseUrl;
  if (pspBaseUrl === undefined)
    throw new ConfigError('No PSP base URL: set "pspBaseUrl" with "pspMode=live"');
  const payments = new PaymentsStack(app, `${prefix}-Payments`, {
    ...service,
    description: describe('payment service, PSP status workflow and its outbox relay'),
    pspBaseUrl,
  });
  const notifications = new NotificationsStack(app, `${prefix}-Notifications`, {
    ...service,
    description: describe('notification service (email and SMS) and its outbox relay'),
  });
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, {
    ...common,
    description: describe('dashboard, alarm topic and notifications'),
    api: orders.api.api,
    services: [orders, inventory, payments, notifications, analytics],
    outboxes: [],
    alarms: [],
  });

  Tags.of(app).add('project', 'order-saga');
  Tags.of(app).add('stage', config.stage);
  return { network, messaging, analytics, orders, inventory, payments, notifications, observability };
}
