import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ListDeadLettersFn, RedriveDeadLetterFn } from '#functions/admin/contract';
import { GetMetricsFn } from '#functions/analytics/contract';
import { GetProductFn, ListProductsFn } from '#functions/catalog/contract';
import {
  CreateOrderFn,
  GetOrderFn,
  HealthFn,
  OrderReconcilerFn,
  SagaConsumerFn,
} from '#functions/orders/contract';
import { OPEN_ORDERS_INDEX } from '#functions/orders/model';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import { MockPsp } from '../constructs/mock-psp';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { loadSeedCatalog, ProductSeed, type SeedProduct } from '../constructs/product-seed';
import { PublicRestApi } from '../constructs/public-rest-api';
import { grantTableActions, METRICS_NAMESPACE, type ServiceFunction } from '../constructs/service-function';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface OrdersStackProps extends ServiceStackProps {
  /** The analytics table, read by GET /admin/metrics. */
  readonly analyticsTable: dynamodb.ITable;
  /** Catalog seed; defaults to `data/products.json`. */
  readonly products?: readonly SeedProduct[];
}

/**
 * The order service and the public REST API: the `orders` table (orders, idempotency records and the
 * outbox, one transaction per order) with its outbox relay to `orders.events`, the order saga, and the
 * API with its routes. The API also serves the catalog (`products` table and its seed) and the back
 * office (dead letters, metrics), whose functions carry their own service names.
 */
export class OrdersStack extends ServiceStack {
  readonly ordersTable: dynamodb.Table;
  readonly productsTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly api: PublicRestApi;
  /** The order saga: inventory and payment events drive the order state machine. */
  readonly saga: KafkaConsumer<typeof SagaConsumerFn>;
  /** Times out orders that stopped moving. */
  readonly reconciler: ServiceFunction<typeof OrderReconcilerFn>;
  /** The mock PSP on this API (`pspMode=mock` only). */
  readonly psp?: MockPsp;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, 'orders', props);
    const { config } = this;

    ({ table: this.ordersTable, outbox: this.outbox } = this.addOutboxTable('OrdersTable'));
    // Orders not finished, by when they were placed: what the reconciler looks at.
    this.ordersTable.addGlobalSecondaryIndex({
      indexName: OPEN_ORDERS_INDEX,
      partitionKey: { name: 'openShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.productsTable = new dynamodb.Table(this, 'ProductsTable', {
      partitionKey: { name: 'productId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.stage === 'prod',
      removalPolicy: this.removalPolicy,
    });

    const orders = { ORDERS_TABLE_NAME: this.ordersTable };
    const products = { PRODUCTS_TABLE_NAME: this.productsTable };
    const createOrder = this.addFunction('CreateOrder', {
      contract: CreateOrderFn,
      tables: { ...orders, ...products },
      memorySize: 512,
    });
    const getOrder = this.addFunction('GetOrder', { contract: GetOrderFn, tables: orders });
    const listProducts = this.addFunction('ListProducts', { contract: ListProductsFn, tables: products });
    const getProduct = this.addFunction('GetProduct', { contract: GetProductFn, tables: products });
    const health = this.addFunction('Health', { contract: HealthFn, tables: orders });
    const listDeadLetters = this.addFunction('ListDeadLetters', {
      contract: ListDeadLettersFn,
      tables: { DEAD_LETTER_TABLE_NAME: this.deadLetters },
    });
    grantTableActions(listDeadLetters, this.deadLetters, ['dynamodb:Query'], { indexName: 'byStatus' });
    const redriveDeadLetter = this.addFunction('RedriveDeadLetter', {
      contract: RedriveDeadLetterFn,
      tables: { DEAD_LETTER_TABLE_NAME: this.deadLetters },
    });
    const getMetrics = this.addFunction('GetMetrics', {
      contract: GetMetricsFn,
      tables: { ANALYTICS_TABLE_NAME: props.analyticsTable },
    });

    this.api = new PublicRestApi(this, 'Api', {
      restApiName: `OrderSaga-${config.stage}-orders`,
      description: 'Order saga public API: orders and product catalog',
      throttle: { rateLimit: config.apiThrottle.rateLimit, burstLimit: config.apiThrottle.burstLimit },
      logRemovalPolicy: this.removalPolicy,
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
    this.api.addRoute('GET', '/admin/dead-letters', listDeadLetters);
    this.api.addRoute('POST', '/admin/dead-letters/{id}/redrive', redriveDeadLetter);
    this.api.addRoute('GET', '/admin/metrics', getMetrics);

    this.saga = this.addConsumer('SagaConsumer', { contract: SagaConsumerFn, tables: orders });

    const reconcilerDlq = new sqs.Queue(this, 'ReconcilerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: this.removalPolicy,
    });
    Validations.of(reconcilerDlq).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the dead-letter queue of the order reconciler schedule; nothing consumes it, the next run repeats the work.',
    });
    this.reconciler = this.addFunction('Reconciler', {
      contract: OrderReconcilerFn,
      tables: orders,
      timeout: Duration.seconds(60),
      deadLetterQueue: reconcilerDlq,
    });
    grantTableActions(this.reconciler, this.ordersTable, ['dynamodb:Query'], {
      indexName: OPEN_ORDERS_INDEX,
    });
    new events.Rule(this, 'ReconcilerSchedule', {
      description: 'Times out orders that stopped moving',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(this.reconciler, {
          deadLetterQueue: reconcilerDlq,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });

    if (config.pspMode === 'mock') {
      this.psp = new MockPsp(this, 'MockPsp', { api: this.api, removalPolicy: this.removalPolicy });
    }

    new ProductSeed(this, 'ProductSeed', {
      table: this.productsTable,
      products: props.products ?? loadSeedCatalog(),
      logRemovalPolicy: this.removalPolicy,
    });

    this.alarms.push(
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
      this.errorsAlarm(
        'CreateOrderErrorsAlarm',
        createOrder,
        'POST /orders: the function fails (unhandled errors, timeouts)',
      ),
      this.errorsAlarm('ReconcilerErrorsAlarm', this.reconciler, 'Order reconciler: runs fail'),
      alarmAboveZero(
        this,
        'OrdersTimedOutAlarm',
        'Order reconciler: orders stopped moving and were cancelled as TIMED_OUT (find out what lost their events)',
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'OrdersTimedOut',
          dimensionsMap: { service: 'orders' },
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
      ),
    );

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the order API' });
    new CfnOutput(this, 'OrdersTableName', { value: this.ordersTable.tableName });
    new CfnOutput(this, 'ProductsTableName', { value: this.productsTable.tableName });
  }
}
