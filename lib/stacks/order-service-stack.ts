import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { Topics } from '../../events/topics';
import { type AppConfig, removalPolicyFor } from '../config';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConnection } from '../constructs/kafka-connection';
import { KafkaConsumer } from '../constructs/kafka-consumer';
import { MockPsp } from '../constructs/mock-psp';
import { OutboxRelay } from '../constructs/outbox-relay';
import { createOutboxTable } from '../constructs/outbox-table';
import { loadSeedCatalog, ProductSeed, type SeedProduct } from '../constructs/product-seed';
import { PublicRestApi } from '../constructs/public-rest-api';
import { bindTable, grantTableActions, ServiceFunction } from '../constructs/service-function';

export interface OrderServiceStackProps extends StackProps {
  readonly config: AppConfig;
  readonly kafka: KafkaConnection;
  /** The shared dead-letter table (messaging stack): the saga consumer and the admin API use it. */
  readonly deadLetters: dynamodb.ITable;
  /** The analytics table, read by GET /admin/metrics. */
  readonly analyticsTable: dynamodb.ITable;
  /** Catalog seed; defaults to `data/products.json`. */
  readonly products?: readonly SeedProduct[];
}

/** A function shown on the dashboard under a readable label. */
export interface LabelledFunction {
  readonly label: string;
  readonly fn: ServiceFunction;
}

const SERVICE = 'orders';

/**
 * The order service and its public REST API: the `orders` table (orders, idempotency records and the
 * outbox, one transaction per order), the `products` catalog, the API functions, the outbox relay
 * that publishes to `orders.events`, and the catalog seed.
 */
export class OrderServiceStack extends Stack {
  readonly ordersTable: dynamodb.Table;
  readonly productsTable: dynamodb.Table;
  readonly api: PublicRestApi;
  readonly outbox: OutboxRelay;
  /** The order saga: inventory and payment events drive the order state machine. */
  readonly saga: KafkaConsumer;
  /** The mock PSP on this API (`pspMode=mock` only). */
  readonly psp?: MockPsp;
  readonly functions: LabelledFunction[];
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: OrderServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyFor(config);

    this.ordersTable = createOutboxTable(this, 'OrdersTable', {
      removalPolicy,
      deletionProtection: config.stage === 'prod',
    });
    this.productsTable = new dynamodb.Table(this, 'ProductsTable', {
      partitionKey: { name: 'productId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.stage === 'prod',
      removalPolicy,
    });

    const apiFunction = (id: string, entry: string, description: string, memorySize = 256) =>
      new ServiceFunction(this, id, {
        entry,
        serviceName: SERVICE,
        description,
        memorySize,
        timeout: Duration.seconds(10),
        logRemovalPolicy: removalPolicy,
      });
    const createOrder = apiFunction('CreateOrder', 'orders/handlers/create-order.ts', 'POST /orders', 512);
    bindTable(createOrder, this.ordersTable, 'ORDERS_TABLE_NAME', 'readWrite');
    bindTable(createOrder, this.productsTable, 'PRODUCTS_TABLE_NAME', 'read');
    const getOrder = apiFunction('GetOrder', 'orders/handlers/get-order.ts', 'GET /orders/{orderId}');
    bindTable(getOrder, this.ordersTable, 'ORDERS_TABLE_NAME', 'read');
    const listProducts = apiFunction('ListProducts', 'catalog/handlers/list-products.ts', 'GET /products');
    bindTable(listProducts, this.productsTable, 'PRODUCTS_TABLE_NAME', 'read');
    const getProduct = apiFunction(
      'GetProduct',
      'catalog/handlers/get-product.ts',
      'GET /products/{productId}',
    );
    bindTable(getProduct, this.productsTable, 'PRODUCTS_TABLE_NAME', 'read');
    const health = apiFunction('Health', 'orders/handlers/health.ts', 'GET /health');
    bindTable(health, this.ordersTable, 'ORDERS_TABLE_NAME', 'read');

    this.api = new PublicRestApi(this, 'Api', {
      restApiName: `OrderSaga-${config.stage}-orders`,
      description: 'Order saga public API: orders and product catalog',
      throttle: { rateLimit: config.apiThrottle.rateLimit, burstLimit: config.apiThrottle.burstLimit },
      logRemovalPolicy: removalPolicy,
    });
    this.api.addRoute('POST', '/orders', createOrder, {
      requiredHeaders: ['Idempotency-Key'],
      throttle: {
        rateLimit: config.apiThrottle.createOrderRateLimit,
        burstLimit: config.apiThrottle.createOrderBurstLimit,
      },
    });
    this.api.addRoute('GET', '/orders/{orderId}', getOrder);
    this.api.addRoute('GET', '/products', listProducts);
    this.api.addRoute('GET', '/products/{productId}', getProduct);
    this.api.addRoute('GET', '/health', health);

    const listDeadLetters = apiFunction(
      'ListDeadLetters',
      'admin/handlers/list-dead-letters.ts',
      'GET /admin/dead-letters',
    );
    bindTable(listDeadLetters, props.deadLetters, 'DEAD_LETTER_TABLE_NAME', 'read');
    grantTableActions(listDeadLetters, props.deadLetters, ['dynamodb:Query'], { indexName: 'byStatus' });
    const redriveDeadLetter = apiFunction(
      'RedriveDeadLetter',
      'admin/handlers/redrive-dead-letter.ts',
      'POST /admin/dead-letters/{id}/redrive',
    );
    bindTable(redriveDeadLetter, props.deadLetters, 'DEAD_LETTER_TABLE_NAME', 'readWrite');
    const getMetrics = apiFunction('GetMetrics', 'analytics/handlers/get-metrics.ts', 'GET /admin/metrics');
    bindTable(getMetrics, props.analyticsTable, 'ANALYTICS_TABLE_NAME', 'read');
    this.api.addRoute('GET', '/admin/dead-letters', listDeadLetters);
    this.api.addRoute('POST', '/admin/dead-letters/{id}/redrive', redriveDeadLetter);
    this.api.addRoute('GET', '/admin/metrics', getMetrics);

    this.saga = new KafkaConsumer(this, 'SagaConsumer', {
      entry: 'orders/handlers/saga-consumer.ts',
      service: 'order-saga',
      kafka: props.kafka,
      topics: [Topics.inventory, Topics.payments],
      deadLetters: props.deadLetters,
      removalPolicy,
    });
    bindTable(this.saga.fn, this.ordersTable, 'ORDERS_TABLE_NAME', 'readWrite');

    this.outbox = new OutboxRelay(this, 'Outbox', {
      table: this.ordersTable,
      serviceName: SERVICE,
      kafka: props.kafka,
      removalPolicy,
    });

    if (config.pspMode === 'mock') {
      this.psp = new MockPsp(this, 'MockPsp', { api: this.api, serviceName: 'psp', removalPolicy });
    }

    new ProductSeed(this, 'ProductSeed', {
      table: this.productsTable,
      products: props.products ?? loadSeedCatalog(),
      serviceName: SERVICE,
      logRemovalPolicy: removalPolicy,
    });

    this.functions = [
      { label: 'create-order', fn: createOrder },
      { label: 'get-order', fn: getOrder },
      { label: 'list-products', fn: listProducts },
      { label: 'get-product', fn: getProduct },
      { label: 'health', fn: health },
      { label: 'list-dead-letters', fn: listDeadLetters },
      { label: 'redrive-dead-letter', fn: redriveDeadLetter },
      { label: 'get-metrics', fn: getMetrics },
      { label: 'order-saga', fn: this.saga.fn },
      { label: 'orders-relay', fn: this.outbox.relayFunction },
      { label: 'orders-sweeper', fn: this.outbox.sweeperFunction },
      ...(this.psp
        ? [
            { label: 'psp-create-payment', fn: this.psp.createPayment },
            { label: 'psp-get-payment', fn: this.psp.getPayment },
          ]
        : []),
    ];

    this.alarms = [
      ...this.outbox.alarms,
      ...this.saga.alarms,
      new cloudwatch.Alarm(this, 'Api5xxAlarm', {
        alarmDescription: 'Order API: server errors (5xx) in the last 5 minutes',
        metric: this.api.api.metricServerError({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      alarmAboveZero(
        this,
        'CreateOrderErrorsAlarm',
        'POST /orders: the function fails (unhandled errors, timeouts)',
        createOrder.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ),
    ];

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the order API' });
    new CfnOutput(this, 'OrdersTableName', { value: this.ordersTable.tableName });
    new CfnOutput(this, 'ProductsTableName', { value: this.productsTable.tableName });
  }
}
