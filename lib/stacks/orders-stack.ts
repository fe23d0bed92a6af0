import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ListDeadLettersFn, RedriveDeadLetterFn } from '#functions/admin/contract';
import { GetMetricsFn } from '#functions/analytics/contract';
import { CreateProductFn, GetProductFn, ListProductsFn, SeedProductsFn } from '#functions/catalog/contract';
import { GetProfileFn, SetCustomerStatusFn, UpdateProfileFn } from '#functions/customers/contract';
import { VerifyTokenFn } from '#functions/identity/contract';
import { AUDIT_KEY_PREFIX } from '#functions/inventory/adjustments';
import { AdjustStockFn } from '#functions/inventory/contract';
import { STOCK_KEY_PREFIX } from '#functions/inventory/stock';
import { CART_KEY_PREFIX } from '#functions/orders/cart-model';
import {
  CancelOrderFn,
  CheckoutFn,
  ClearCartFn,
  CreateOrderFn,
  GetCartFn,
  GetOrderFn,
  HealthFn,
  ListOrdersFn,
  OpenApiFn,
  OrderReconcilerFn,
  SagaConsumerFn,
  SetCartItemFn,
} from '#functions/orders/contract';
import { CUSTOMER_ORDERS_INDEX, OPEN_ORDERS_INDEX } from '#functions/orders/model';
import { DEAD_LETTER_STATUS_INDEX } from '#platform/consumer/dead-letters';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { catalogEntries, loadSeedCatalog, type SeedProduct } from '../constructs/product-seed';
import { type ApiAuthorizer, ServiceApi } from '../constructs/service-api';
import {
  acknowledgeSynchronousInvocation,
  grantTableActions,
  METRICS_NAMESPACE,
  type ServiceFunction,
} from '../constructs/service-function';
import { TableSeed } from '../constructs/table-seed';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/** Requests one client IP may send in five minutes before the prod web ACL blocks it. */
export const WAF_RATE_LIMIT_PER_5_MINUTES = 1000;

/** Who signs in the API's callers: the app's user pool, or an existing OpenID Connect issuer. */
export type OrdersAuth =
  | { readonly mode: 'cognito'; readonly userPool: cognito.IUserPool }
  | { readonly mode: 'oidc'; readonly issuer: string; readonly audience: string; readonly jwksUri?: string };

export interface OrdersStackProps extends ServiceStackProps {
  /** The analytics table, read by GET /admin/metrics. */
  readonly analyticsTable: dynamodb.ITable;
  /** The inventory service's table, whose stock items the catalog shows (read-only, `STOCK#` keys). */
  readonly inventoryTable: dynamodb.ITable;
  readonly auth: OrdersAuth;
  /** Catalog seed; defaults to `data/products.json`. */
  readonly products?: readonly SeedProduct[];
}

/**
 * The order service and the REST API: the `orders` table (orders carrying their events, idempotency
 * records, the customers' carts; the `byCustomer` index for a customer's orders) with its outbox
 * relay to `orders.events`, the order saga, and the API with its routes. The API also serves the
 * catalog (`products` table and its seed), the customers' profiles (`customers` table) and the back
 * office (dead letters, metrics), whose functions carry their own service names. Every route but the catalog, the health check and the
 * OpenAPI document needs a signed-in caller (the authorizer); `/admin/*` also needs the `admins`
 * group (checked by the functions). In prod, an AWS WAF web ACL sits in front of the stage.
 */
export class OrdersStack extends ServiceStack {
  readonly ordersTable: dynamodb.Table;
  readonly productsTable: dynamodb.Table;
  /** The customers service's profiles, keyed by the token's subject. */
  readonly customersTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly api: ServiceApi;
  /** The order saga: inventory and payment events drive the order state machine. */
  readonly saga: KafkaConsumer<typeof SagaConsumerFn>;
  /** Times out orders that stopped moving. */
  readonly reconciler: ServiceFunction<typeof OrderReconcilerFn>;

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
    // A customer's orders, newest first: GET /orders finds a page's keys here and reads the orders.
    // Keys only: none of them changes after an order is placed, so a status change writes no index.
    this.ordersTable.addGlobalSecondaryIndex({
      indexName: CUSTOMER_ORDERS_INDEX,
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
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

    // The customers service's profiles: served on this API (GET and PUT /me), read by create-order.
    this.customersTable = new dynamodb.Table(this, 'CustomersTable', {
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.stage === 'prod',
      removalPolicy: this.removalPolicy,
    });

    const orders = { ORDERS_TABLE_NAME: this.ordersTable };
    const products = { PRODUCTS_TABLE_NAME: this.productsTable };
    const customers = { CUSTOMERS_TABLE_NAME: this.customersTable };
    const deadLetters = { DEAD_LETTER_TABLE_NAME: this.deadLetters };
    const createOrder = this.addFunction('CreateOrder', {
      contract: CreateOrderFn,
      tables: { ...orders, ...products, ...customers },
      memorySize: 512,
    });
    const getProfile = this.addFunction('GetProfile', { contract: GetProfileFn, tables: customers });
    const updateProfile = this.addFunction('UpdateProfile', { contract: UpdateProfileFn, tables: customers });
    // The back office sets the status of an existing profile: one UpdateItem.
    const setCustomerStatus = this.addFunction('SetCustomerStatus', {
      contract: SetCustomerStatusFn,
      tables: customers,
    });
    grantTableActions(setCustomerStatus, this.customersTable, ['dynamodb:UpdateItem']);
    const getOrder = this.addFunction('GetOrder', { contract: GetOrderFn, tables: orders });
    // A customer's cancellation reads the order and writes the transition: one GetItem, one UpdateItem.
    const cancelOrder = this.addFunction('CancelOrder', { contract: CancelOrderFn, tables: orders });
    grantTableActions(cancelOrder, this.ordersTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], {
      leadingKeys: ['ORDER#*'],
    });
    // The cart is one item of the orders table per customer (`CART#<sub>`), so a checkout can delete
    // it in the order's transaction; each cart function reaches cart items only.
    const cartItems = { leadingKeys: [`${CART_KEY_PREFIX}*`] };
    const getCart = this.addFunction('GetCart', { contract: GetCartFn, tables: { ...orders, ...products } });
    grantTableActions(getCart, this.ordersTable, ['dynamodb:GetItem'], cartItems);
    const setCartItem = this.addFunction('SetCartItem', {
      contract: SetCartItemFn,
      tables: { ...orders, ...products },
    });
    grantTableActions(
      setCartItem,
      this.ordersTable,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      cartItems,
    );
    const clearCart = this.addFunction('ClearCart', { contract: ClearCartFn, tables: orders });
    grantTableActions(clearCart, this.ordersTable, ['dynamodb:DeleteItem'], cartItems);
    // A checkout reads the cart and the key record, and writes the key record, the order and the
    // cart's delete in one transaction (TransactWriteItems needs the action of each item).
    const checkout = this.addFunction('Checkout', {
      contract: CheckoutFn,
      tables: { ...orders, ...products, ...customers },
      memorySize: 512,
    });
    grantTableActions(checkout, this.ordersTable, ['dynamodb:GetItem', 'dynamodb:DeleteItem'], cartItems);
    grantTableActions(checkout, this.ordersTable, ['dynamodb:GetItem', 'dynamodb:PutItem'], {
      leadingKeys: ['IDEMPOTENCY#*'],
    });
    grantTableActions(checkout, this.ordersTable, ['dynamodb:PutItem'], { leadingKeys: ['ORDER#*'] });
    const listOrders = this.addFunction('ListOrders', { contract: ListOrdersFn, tables: orders });
    // A page of keys from the `byCustomer` index, then the orders themselves: one BatchGetItem.
    grantTableActions(listOrders, this.ordersTable, ['dynamodb:Query'], { indexName: CUSTOMER_ORDERS_INDEX });
    grantTableActions(listOrders, this.ordersTable, ['dynamodb:BatchGetItem'], { leadingKeys: ['ORDER#*'] });

    // The catalog shows stock from the inventory service's table: a read of its stock items only.
    const catalogTables = { ...products, INVENTORY_TABLE_NAME: props.inventoryTable };
    const listProducts = this.addFunction('ListProducts', {
      contract: ListProductsFn,
      tables: catalogTables,
    });
    const getProduct = this.addFunction('GetProduct', { contract: GetProductFn, tables: catalogTables });
    for (const fn of [listProducts, getProduct]) {
      grantTableActions(fn, props.inventoryTable, ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], {
        leadingKeys: [`${STOCK_KEY_PREFIX}*`],
      });
    }
    // The back office adds products (one PutItem); their stock is set by the stock route below.
    const createProduct = this.addFunction('CreateProduct', { contract: CreateProductFn, tables: products });
    grantTableActions(createProduct, this.productsTable, ['dynamodb:PutItem']);
    // The back office's stock changes belong to the inventory service: it reads and updates stock
    // items and puts audit items (carrying StockAdjusted) in its own table, nothing else.
    const adjustStock = this.addFunction('AdjustStock', {
      contract: AdjustStockFn,
      tables: { INVENTORY_TABLE_NAME: props.inventoryTable, ...products },
    });
    grantTableActions(adjustStock, props.inventoryTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], {
      leadingKeys: [`${STOCK_KEY_PREFIX}*`],
    });
    grantTableActions(adjustStock, props.inventoryTable, ['dynamodb:PutItem'], {
      leadingKeys: [`${AUDIT_KEY_PREFIX}STOCK#*`],
    });
    const health = this.addFunction('Health', { contract: HealthFn, tables: orders });
    const openApi = this.addFunction('OpenApi', { contract: OpenApiFn, tables: {} });

    const listDeadLetters = this.addFunction('ListDeadLetters', {
      contract: ListDeadLettersFn,
      tables: deadLetters,
    });
    grantTableActions(listDeadLetters, this.deadLetters, ['dynamodb:Query'], {
      indexName: DEAD_LETTER_STATUS_INDEX,
    });
    const redriveDeadLetter = this.addFunction('RedriveDeadLetter', {
      contract: RedriveDeadLetterFn,
      tables: deadLetters,
    });
    // A redrive reads and updates one dead letter, parks its record for the service that failed it
    // and clears the event's attempt counter.
    grantTableActions(redriveDeadLetter, this.deadLetters, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], {
      leadingKeys: ['DEADLETTER#*'],
    });
    grantTableActions(redriveDeadLetter, this.deadLetters, ['dynamodb:PutItem'], {
      leadingKeys: ['PARKED#*'],
    });
    grantTableActions(redriveDeadLetter, this.deadLetters, ['dynamodb:DeleteItem'], {
      leadingKeys: ['ATTEMPTS#*'],
    });
    const getMetrics = this.addFunction('GetMetrics', {
      contract: GetMetricsFn,
      tables: { ANALYTICS_TABLE_NAME: props.analyticsTable },
    });

    this.api = new ServiceApi(this, 'Api', {
      restApiName: `OrderSaga-${config.stage}-orders`,
      description: 'Order saga API: orders of signed-in customers, the product catalog, the back office',
      throttle: { rateLimit: config.apiThrottle.rateLimit, burstLimit: config.apiThrottle.burstLimit },
      auth: this.authorizer(props.auth),
      ...(config.stage === 'prod' ? { waf: { rateLimitPer5Minutes: WAF_RATE_LIMIT_PER_5_MINUTES } } : {}),
      logRemovalPolicy: this.removalPolicy,
    });
    this.api.addRoute('POST', '/orders', createOrder, {
      requiredHeaders: ['Idempotency-Key'],
      throttle: {
        rateLimit: config.apiThrottle.createOrderRateLimit,
        burstLimit: config.apiThrottle.createOrderBurstLimit,
      },
    });
    this.api.addRoute('GET', '/orders', listOrders);
    this.api.addRoute('GET', '/orders/{orderId}', getOrder);
    this.api.addRoute('POST', '/orders/{orderId}/cancel', cancelOrder);
    this.api.addRoute('GET', '/cart', getCart);
    this.api.addRoute('PUT', '/cart/items/{productId}', setCartItem);
    this.api.addRoute('DELETE', '/cart', clearCart);
    this.api.addRoute('POST', '/cart/checkout', checkout, {
      requiredHeaders: ['Idempotency-Key'],
      throttle: {
        rateLimit: config.apiThrottle.createOrderRateLimit,
        burstLimit: config.apiThrottle.createOrderBurstLimit,
      },
    });
    this.api.addRoute('GET', '/me', getProfile);
    this.api.addRoute('PUT', '/me', updateProfile);
    this.api.addRoute('GET', '/products', listProducts, { access: 'public' });
    this.api.addRoute('GET', '/products/{productId}', getProduct, { access: 'public' });
    this.api.addRoute('GET', '/health', health, { access: 'public' });
    this.api.addRoute('GET', '/openapi.json', openApi, {
      access: 'public',
      publicReason:
        "the API's OpenAPI document describes routes, schemas and error codes only, no data, so clients can be built before anyone signs in",
    });
    this.api.addRoute('GET', '/admin/dead-letters', listDeadLetters);
    this.api.addRoute('POST', '/admin/dead-letters/{id}/redrive', redriveDeadLetter);
    this.api.addRoute('GET', '/admin/metrics', getMetrics);
    this.api.addRoute('PUT', '/admin/customers/{customerId}/status', setCustomerStatus);
    this.api.addRoute('POST', '/admin/products', createProduct);
    this.api.addRoute('PUT', '/admin/products/{productId}/stock', adjustStock);

    this.saga = this.addConsumer('SagaConsumer', {
      contract: SagaConsumerFn,
      tables: orders,
      // On the critical path of POST → CONFIRMED: invoked as soon as records arrive (no batching
      // window); under load the backlog fills batches by itself.
      maxBatchingWindow: Duration.seconds(0),
    });

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

    new TableSeed(this, 'ProductSeed', {
      contract: SeedProductsFn,
      tables: products,
      resourceType: 'Custom::SeedProducts',
      properties: { Products: catalogEntries(props.products ?? loadSeedCatalog()) },
      description: 'Seeds the product catalog (Custom::SeedProducts onEvent)',
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
      this.errorsAlarm(
        'CheckoutErrorsAlarm',
        checkout,
        'POST /cart/checkout: the function fails (unhandled errors, timeouts)',
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
    new CfnOutput(this, 'CustomersTableName', { value: this.customersTable.tableName });
  }

  /**
   * The API's authorizer: Cognito's for the app's user pool (ID tokens in `Authorization`), or a
   * Lambda authorizer verifying an OpenID Connect issuer's JWTs. Results are cached per token for
   * five minutes.
   */
  private authorizer(auth: OrdersAuth): ApiAuthorizer {
    const unauthorizedMessage = 'Sign in: a valid ID token is required in the Authorization header';
    if (auth.mode === 'cognito') {
      return {
        authorizer: new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
          authorizerName: 'cognito-id-token',
          cognitoUserPools: [auth.userPool],
          identitySource: apigateway.IdentitySource.header('Authorization'),
          resultsCacheTtl: Duration.minutes(5),
        }),
        kind: 'cognito',
        unauthorizedMessage,
      };
    }
    const verifyToken = this.addFunction('VerifyToken', {
      contract: VerifyTokenFn,
      tables: {},
      settings: {
        AUTH_ISSUER: auth.issuer,
        AUTH_AUDIENCE: auth.audience,
        ...(auth.jwksUri === undefined ? {} : { AUTH_JWKS_URI: auth.jwksUri }),
      },
    });
    acknowledgeSynchronousInvocation(verifyToken, 'API Gateway (the order API authorizer)');
    return {
      authorizer: new apigateway.TokenAuthorizer(this, 'Authorizer', {
        authorizerName: 'oidc-jwt',
        handler: verifyToken,
        identitySource: apigateway.IdentitySource.header('Authorization'),
        resultsCacheTtl: Duration.minutes(5),
      }),
      kind: {
        lambda: `signed in with the OpenID Connect issuer ${auth.issuer} (context authIssuer): a Lambda authorizer verifies its JWTs, there is no Cognito user pool.`,
      },
      unauthorizedMessage:
        'Sign in: a valid token of the configured issuer is required in the Authorization header',
    };
  }
}
