import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { type AppConfig, stackPrefix } from './config';
import { ConfigError } from './errors';
import { AnalyticsStack } from './stacks/analytics-stack';
import { IdentityStack } from './stacks/identity-stack';
import { InventoryStack } from './stacks/inventory-stack';
import { MessagingStack } from './stacks/messaging-stack';
import { MockPspStack } from './stacks/mock-psp-stack';
import { NetworkStack } from './stacks/network-stack';
import { NotificationsStack } from './stacks/notifications-stack';
import { ObservabilityStack } from './stacks/observability-stack';
import { type OrdersAuth, OrdersStack } from './stacks/orders-stack';
import { PaymentsStack } from './stacks/payments-stack';
import type { ServiceStack } from './stacks/service-stack';
import { ShippingStack } from './stacks/shipping-stack';

export interface OrderSagaStacks {
  readonly network: NetworkStack;
  readonly messaging: MessagingStack;
  readonly analytics: AnalyticsStack;
  /** The Cognito user pool; absent when an OpenID Connect issuer signs users in (`authIssuer`). */
  readonly identity?: IdentityStack;
  readonly orders: OrdersStack;
  /** The mock PSP (`pspMode=mock`). */
  readonly mockPsp?: MockPspStack;
  readonly inventory: InventoryStack;
  readonly payments: PaymentsStack;
  readonly notifications: NotificationsStack;
  readonly shipping: ShippingStack;
  readonly observability: ObservabilityStack;
}

/**
 * Builds the platform into `app`, one stack per service named after it (`OrderSaga-<stage>-Orders`,
 * `-Inventory`, `-Payments`, `-Notifications`, `-Shipping`, `-Analytics`, `-MockPsp` with `pspMode=mock`) on top
 * of `-Network` (VPC), `-Messaging` (Kafka, topics, dead letters) and `-Identity` (the Cognito user
 * pool, unless an OpenID Connect issuer is configured), and `-Observability` (dashboard, alarm
 * notifications).
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
  const inventory = new InventoryStack(app, `${prefix}-Inventory`, {
    ...service,
    description: describe('inventory service (stock and reservations) and its outbox relay'),
  });
  const identity =
    config.auth.mode === 'cognito'
      ? new IdentityStack(app, `${prefix}-Identity`, {
          ...common,
          description: describe('Cognito user pool, app client and the admins group'),
        })
      : undefined;
  const auth: OrdersAuth = identity
    ? { mode: 'cognito', userPool: identity.userPool }
    : (config.auth as Extract<OrdersAuth, { mode: 'oidc' }>);
  const orders = new OrdersStack(app, `${prefix}-Orders`, {
    ...service,
    description: describe('order service, catalog, back office and the order REST API'),
    analyticsTable: analytics.analyticsTable,
    inventoryTable: inventory.inventoryTable,
    auth,
  });
  const mockPsp =
    config.pspMode === 'mock'
      ? new MockPspStack(app, `${prefix}-MockPsp`, {
          ...service,
          description: describe('mock payment service provider on its own API, by API key only'),
        })
      : undefined;
  // The order API's stack creates the account's API Gateway logging role the mock PSP API uses.
  mockPsp?.addStackDependency(orders);
  const psp = mockPsp
    ? { baseUrl: mockPsp.psp.baseUrl, apiKeySecret: mockPsp.psp.apiKeySecret }
    : { baseUrl: config.pspBaseUrl, apiKeySecret: config.pspApiKeySecretArn };
  if (psp.baseUrl === undefined || psp.apiKeySecret === undefined)
    throw new ConfigError('No PSP: set "pspBaseUrl" and "pspApiKeySecret" with "pspMode=live"');
  const payments = new PaymentsStack(app, `${prefix}-Payments`, {
    ...service,
    description: describe('payment service, PSP status workflow and its outbox relay'),
    pspBaseUrl: psp.baseUrl,
    pspApiKeySecret: psp.apiKeySecret,
  });
  const notifications = new NotificationsStack(app, `${prefix}-Notifications`, {
    ...service,
    description: describe('notification service (email and SMS) and its outbox relay'),
  });
  const shipping = new ShippingStack(app, `${prefix}-Shipping`, {
    ...service,
    description: describe(
      'shipping service (carrier bookings, signed carrier webhooks) and its outbox relay',
    ),
  });
  // The order API's stack creates the account's API Gateway logging role the shipping API uses.
  shipping.addStackDependency(orders);
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, {
    ...common,
    description: describe('dashboard, alarm topic and notifications'),
    api: orders.api.api,
    services: [
      orders,
      inventory,
      payments,
      notifications,
      shipping,
      analytics,
      ...(mockPsp ? [mockPsp] : []),
    ] as ServiceStack[],
    outboxes: [],
    alarms: [],
  });

  Tags.of(app).add('project', 'order-saga');
  Tags.of(app).add('stage', config.stage);
  return {
    network,
    messaging,
    analytics,
    inventory,
    ...(identity ? { identity } : {}),
    orders,
    ...(mockPsp ? { mockPsp } : {}),
    payments,
    notifications,
    shipping,
    observability,
  };
}
