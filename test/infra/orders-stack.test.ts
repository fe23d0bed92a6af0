import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_CONTRACTS } from '#functions/contracts';
import { VerifyTokenFn } from '#functions/identity/contract';
import { ServiceFunction, TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '#lib/constructs/service-function';
import { envNamesOf } from '#platform/contract';
import {
  actionsOf,
  buildTestApp,
  logicalIdOf,
  type PolicyStatementJson,
  resourceOf,
  roleStatements,
  type TestApp,
} from './app-fixture';

/** What every function gets besides its contract's variables. */
const COMMON_ENV = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'NODE_OPTIONS',
];

let testApp: TestApp;
let template: Template;
let functions: ServiceFunction[];

const envOf = (fn: ServiceFunction, t: Template) =>
  (resourceOf(t, fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const dynamoStatements = (statements: PolicyStatementJson[]) =>
  statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));

/** The leading keys a statement's condition allows, or `any` when it has no such condition. */
const leadingKeysOf = (statement: unknown) =>
  (statement as { Condition?: Record<string, Record<string, unknown>> }).Condition?.[
    'ForAllValues:StringLike'
  ]?.['dynamodb:LeadingKeys'] ?? 'any';

describe('Stack: OrdersStack', () => {
  beforeAll(() => {
    // One bundled synthesis shared by every test of this file.
    testApp = buildTestApp({ stage: 'test' }, { bundle: true });
    template = testApp.template(testApp.stacks.orders);
    testApp.template(testApp.stacks.messaging);
    functions = testApp.app.node
      .findAll()
      .filter((node): node is ServiceFunction => node instanceof ServiceFunction);
  });

  it('filters the relay stream to items carrying events and to outbox inserts', () => {
    // Prepare
    const relay = testApp.stacks.orders.outbox;

    // Act
    const mapping = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(relay.relayFunction) } },
    });

    // Assess
    expect(Object.keys(mapping)).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(relay.relayFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(testApp.stacks.orders.ordersTable), 'StreamArn'] },
      FilterCriteria: {
        Filters: [
          { Pattern: '{"dynamodb":{"NewImage":{"outbox":{"L":{"M":{"eventId":{"S":[{"exists":true}]}}}}}}}' },
          {
            Pattern:
              '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"entity":{"S":["OUTBOX"]},"spilledAt":{"S":[{"exists":false}]},"quarantinedAt":{"S":[{"exists":false}]}}}}',
          },
        ],
      },
    });
  });

  it('retries relay batches until their stream records expire, bisecting, then sends them to the on-failure queue', () => {
    // Prepare
    const relay = testApp.stacks.orders.outbox;

    // Act
    const expected = {
      FunctionName: { Ref: logicalIdOf(relay.relayFunction) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 86_400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(relay.onFailureQueue), 'Arn'] } },
      },
    };

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', expected);
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
    expect(resourceOf(template, relay.onFailureQueue).Properties).toMatchObject({
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalIdOf(relay.onFailureQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs the sweeper every minute with a dead-letter queue and the grace period', () => {
    // Prepare
    const relay = testApp.stacks.orders.outbox;

    // Act
    const rule = resourceOf(template, relay.schedule);

    // Assess
    expect(rule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalIdOf(relay.sweeperFunction), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(relay.sweeperDeadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        },
      ],
    });
    expect(envOf(relay.sweeperFunction, template)).toMatchObject({ OUTBOX_GRACE_SECONDS: '120' });
    expect(resourceOf(template, relay.sweeperFunction).Properties.Timeout).toBe(55);
    expect(resourceOf(template, relay.sweeperFunction).Properties).toMatchObject({
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalIdOf(relay.sweeperDeadLetterQueue), 'Arn'] } },
    });
  });

  it('runs the relay and the sweeper with the Kafka producer the tests run: not idempotent', () => {
    // Prepare
    const relay = testApp.stacks.orders.outbox;

    // Act
    const environments = [relay.relayFunction, relay.sweeperFunction].map((fn) => envOf(fn, template));

    // Assess
    for (const env of environments) expect(env).toMatchObject({ KAFKA_IDEMPOTENT_PRODUCER: 'false' });
    const actions = roleStatements(template, relay.relayFunction).flatMap(actionsOf);
    expect(actions).not.toContain('kafka-cluster:WriteDataIdempotently');
  });

  it('deploys every function contract, each with the project defaults', () => {
    // Prepare
    const deployed = new Set(functions.map((fn) => fn.contract));

    // Act
    const resources = functions.map(
      (fn) => testApp.template(fn.stack) && resourceOf(testApp.template(fn.stack), fn),
    );

    // Assess: the token verifier is deployed instead of the Cognito authorizer (see the OIDC test)
    expect(FUNCTION_CONTRACTS.filter((contract) => !deployed.has(contract)).map((c) => c.entry)).toEqual([
      VerifyTokenFn.entry,
    ]);
    expect([...deployed].filter((contract) => !FUNCTION_CONTRACTS.includes(contract))).toEqual([]);
    for (const resource of resources) {
      expect(resource.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        MemorySize: expect.any(Number),
        Timeout: expect.any(Number),
      });
    }
  });

  it('gives every function exactly the environment its contract declares', () => {
    // Prepare
    const expected = functions.map((fn) => [
      fn.node.path,
      [...COMMON_ENV, ...envNamesOf(fn.contract)].sort(),
    ]);

    // Act
    const actual = functions.map((fn) => [
      fn.node.path,
      Object.keys(envOf(fn, testApp.template(fn.stack))).sort(),
    ]);

    // Assess
    expect(actual).toEqual(expected);
    for (const fn of functions) {
      expect(envOf(fn, testApp.template(fn.stack))).toMatchObject({
        POWERTOOLS_SERVICE_NAME: fn.contract.service ?? fn.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'OrderSaga',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('points every table variable of a contract at a table and grants the declared access', () => {
    // Prepare
    const bindings = functions.flatMap((fn) =>
      Object.entries(fn.contract.tables).map(([name, access]) => ({ fn, name, access })),
    );

    // Act
    const checked = bindings.map(({ fn, name, access }) => {
      const t = testApp.template(fn.stack);
      const value = envOf(fn, t)[name];
      const actions = dynamoStatements(roleStatements(t, fn)).flatMap(actionsOf);
      return { path: `${fn.node.path} ${name}`, value, access, actions };
    });

    // Assess
    expect(checked.length).toBeGreaterThan(20);
    for (const { path, value, access, actions } of checked) {
      expect(JSON.stringify(value), path).toMatch(/Ref|ImportValue/);
      if (access === 'read' || access === 'readWrite') {
        expect(actions, path).toEqual(expect.arrayContaining([...TABLE_READ_ACTIONS]));
      }
      if (access === 'readWrite')
        expect(actions, path).toEqual(expect.arrayContaining([...TABLE_WRITE_ACTIONS]));
      if (access === 'streamRead') expect(actions, path).toContain('dynamodb:GetRecords');
    }
  });

  it('sizes the functions explicitly', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const byLabel = Object.fromEntries(orders.functions.map((fn) => [fn.label, fn]));

    // Act
    const sizes = Object.fromEntries(
      Object.entries(byLabel).map(([label, fn]) => {
        const { MemorySize, Timeout } = resourceOf(template, fn).Properties;
        return [label, [MemorySize, Timeout]];
      }),
    );

    // Assess
    expect(sizes).toEqual({
      'orders-create-order': [512, 10],
      'orders-get-order': [256, 10],
      'orders-cancel-order': [256, 10],
      'orders-list-orders': [256, 10],
      'orders-get-cart': [256, 10],
      'orders-set-cart-item': [256, 10],
      'orders-clear-cart': [256, 10],
      'orders-checkout': [512, 10],
      'customers-get-profile': [256, 10],
      'customers-update-profile': [256, 10],
      'customers-set-status': [256, 10],
      'catalog-list-products': [256, 10],
      'catalog-get-product': [256, 10],
      'catalog-create-product': [256, 10],
      'inventory-adjust-stock': [256, 10],
      'orders-health': [256, 10],
      'orders-openapi': [256, 10],
      'admin-list-dead-letters': [256, 10],
      'admin-redrive-dead-letter': [256, 10],
      'analytics-get-metrics': [256, 10],
      'orders-saga': [512, 60],
      'orders-discarded-batches': [256, 60],
      'orders-relay': [512, 60],
      'orders-sweeper': [512, 55],
      'catalog-seed-products': [256, 120],
      'orders-reconciler': [256, 60],
    });
  });

  it('writes each function log to its own log group kept for one month', () => {
    // Prepare
    const logGroupIds = functions
      .filter((fn) => fn.stack === testApp.stacks.orders)
      .map(
        (fn) =>
          (resourceOf(template, fn).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
      );

    // Act
    const logGroups = template.findResources('AWS::Logs::LogGroup');

    // Assess
    expect(new Set(logGroupIds).size).toBe(logGroupIds.length);
    for (const id of logGroupIds) {
      expect(logGroups[id]?.Properties).toMatchObject({ RetentionInDays: 30 });
    }
  });

  it('emits self-contained ESM bundles into the cloud assembly', () => {
    // Prepare
    const outdir = testApp.app.outdir;

    // Act
    const bundles = functions.map((fn) => {
      const assetPath = resourceOf(testApp.template(fn.stack), fn).Metadata?.['aws:asset:path'] as string;
      return join(outdir, assetPath, 'index.mjs');
    });

    // Assess
    for (const bundle of bundles) {
      expect(existsSync(bundle), bundle).toBe(true);
      expect(existsSync(`${bundle}.map`), `${bundle}.map`).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire as __cjsRequire } from 'node:module';")).toBe(true);
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    }
  });

  it('scopes create-order to item access on the orders table and reads on products and customers', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const createOrder = orders.functions.find((fn) => fn.label === 'orders-create-order');
    if (!createOrder) throw new Error('create-order is missing');

    // Act
    const statements = dynamoStatements(roleStatements(template, createOrder));

    // Assess
    const covers = (s: PolicyStatementJson, table: IConstruct) =>
      JSON.stringify(s.Resource).includes(logicalIdOf(table));
    const onOrders = statements.filter((s) => covers(s, orders.ordersTable));
    // The products and the customers table are granted the same reads, in one statement.
    const reads = statements.filter(
      (s) => covers(s, orders.productsTable) || covers(s, orders.customersTable),
    );
    expect(onOrders.length + reads.length).toBe(statements.length);
    expect(reads.some((s) => covers(s, orders.productsTable))).toBe(true);
    expect(reads.some((s) => covers(s, orders.customersTable))).toBe(true);
    expect(reads.some((s) => covers(s, orders.ordersTable))).toBe(false);
    // TransactWriteItems is authorized per item action: Put (order, idempotency record, outbox row) and ConditionCheck.
    expect(onOrders.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem']),
    );
    expect(reads.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem']),
    );
    for (const action of TABLE_WRITE_ACTIONS) expect(reads.flatMap(actionsOf)).not.toContain(action);
  });

  it('grants read functions no writes and the outbox functions only what they use', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const byLabel = Object.fromEntries(orders.functions.map((fn) => [fn.label, fn]));
    const ordersArn = { 'Fn::GetAtt': [logicalIdOf(orders.ordersTable), 'Arn'] };

    // Act
    const actions = (label: string) =>
      dynamoStatements(roleStatements(template, byLabel[label] as ServiceFunction)).flatMap(actionsOf);
    const sweeper = dynamoStatements(roleStatements(template, orders.outbox.sweeperFunction));
    const relay = dynamoStatements(roleStatements(template, orders.outbox.relayFunction));

    // Assess
    for (const label of [
      'orders-get-order',
      'orders-get-cart',
      'catalog-list-products',
      'catalog-get-product',
      'orders-health',
    ]) {
      expect(actions(label).length).toBeGreaterThan(0);
      for (const write of TABLE_WRITE_ACTIONS) expect(actions(label)).not.toContain(write);
    }
    expect(actions('orders-health')).toContain('dynamodb:DescribeTable');
    expect(sweeper).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'dynamodb:Query',
          Resource: { 'Fn::Join': ['', [ordersArn, '/index/unpublished']] },
        }),
        expect.objectContaining({ Action: 'dynamodb:UpdateItem', Resource: ordersArn }),
      ]),
    );
    expect(sweeper.flatMap(actionsOf).sort()).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(relay.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']),
    );
    // The relay writes outbox rows only: the events it hands to the sweeper, the rows it marks.
    expect(
      relay
        .filter((statement) => /PutItem|UpdateItem/.test(JSON.stringify(statement.Action)))
        .map((statement) => [statement.Action, leadingKeysOf(statement)]),
    ).toEqual([[['dynamodb:PutItem', 'dynamodb:UpdateItem'], ['OUTBOX#*']]]);
  });

  it('lets list-orders query the byCustomer index and batch-read order items, nothing else', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const list = orders.functions.find((fn) => fn.label === 'orders-list-orders') as ServiceFunction;
    const ordersArn = { 'Fn::GetAtt': [logicalIdOf(orders.ordersTable), 'Arn'] };

    // Act
    const statements = dynamoStatements(roleStatements(template, list));

    // Assess
    expect(
      statements.map((statement) => [statement.Action, statement.Resource, leadingKeysOf(statement)]),
    ).toEqual([
      ['dynamodb:Query', { 'Fn::Join': ['', [ordersArn, '/index/byCustomer']] }, 'any'],
      ['dynamodb:BatchGetItem', ordersArn, ['ORDER#*']],
    ]);
  });

  it('serves POST /orders/{orderId}/cancel behind the Cognito authorizer with GetItem and UpdateItem of order items only', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const cancel = orders.functions.find((fn) => fn.label === 'orders-cancel-order') as ServiceFunction;
    const [authorizerId] = Object.keys(template.findResources('AWS::ApiGateway::Authorizer'));
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const [cancelResourceId] = Object.entries(resources)
      .filter(([, resource]) => resource.Properties.PathPart === 'cancel')
      .map(([id]) => id);

    // Act
    const statements = dynamoStatements(roleStatements(template, cancel));

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ResourceId: { Ref: cancelResourceId },
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizerId: { Ref: authorizerId },
      Integration: Match.objectLike({
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(cancel), 'Arn'] }])],
        }),
      }),
    });
    expect(resources[cancelResourceId as string]?.Properties.ParentId).toMatchObject({
      Ref: expect.stringMatching(/orderId/),
    });
    expect(statements.map((statement) => [statement.Action, leadingKeysOf(statement)])).toEqual([
      [['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['ORDER#*']],
    ]);
  });

  it('never grants DynamoDB or Kafka access on a wildcard resource', () => {
    // Prepare
    const allowedOnStar = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'dynamodb:ListStreams',
      // The payment status state machine's log delivery and tracing: no resource-level permissions.
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
    ]);

    // Act
    const offending = Object.values(testApp.stacks).flatMap((stack) => {
      const policies = testApp.template(stack).findResources('AWS::IAM::Policy');
      return Object.entries(policies).flatMap(([id, policy]) =>
        (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
          .filter((statement) => {
            const resources = [statement.Resource].flat();
            const wildcard = resources.some((resource) => resource === '*');
            const dataIndexWildcard = JSON.stringify(resources).includes('/index/*');
            return (wildcard && actionsOf(statement).some((a) => !allowedOnStar.has(a))) || dataIndexWildcard;
          })
          .map((statement) => `${stack.stackName}/${id}: ${JSON.stringify(statement)}`),
      );
    });

    // Assess
    expect(offending).toEqual([]);
  });

  it('creates the orders table with stream, TTL, PITR, the sparse unpublished index and the keys-only byCustomer index', () => {
    // Prepare
    const { ordersTable } = testApp.stacks.orders;

    // Act
    const table = resourceOf(template, ordersTable);

    // Assess
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'unpublished',
          KeySchema: [
            { AttributeName: 'unpublishedShard', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'open',
          KeySchema: [
            { AttributeName: 'openShard', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'byCustomer',
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          // Keys only: a status change of an order writes no index entry.
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'unpublishedShard', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
        { AttributeName: 'customerId', AttributeType: 'S' },
      ]),
    );
  });

  it('creates the products table on demand with PITR and removes tables outside prod', () => {
    // Prepare
    const { productsTable, ordersTable } = testApp.stacks.orders;

    // Act
    const products = template.toJSON().Resources[logicalIdOf(productsTable)];
    const orders = template.toJSON().Resources[logicalIdOf(ordersTable)];

    // Assess
    expect(products.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'productId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(products.Properties.StreamSpecification).toBeUndefined();
    expect([products.DeletionPolicy, orders.DeletionPolicy]).toEqual(['Delete', 'Delete']);
  });

  it('creates the customers table keyed by the customer id, on demand with PITR and encryption', () => {
    // Prepare
    const { customersTable } = testApp.stacks.orders;

    // Act
    const customers = template.toJSON().Resources[logicalIdOf(customersTable)];

    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'customerId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(customers.Properties.StreamSpecification).toBeUndefined();
    expect(customers.DeletionPolicy).toBe('Delete');
  });

  it('lets only the profile functions write the customers table, the back office update it, and create-order and checkout read it', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const customersArn = JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(orders.customersTable), 'Arn'] });

    // Act
    const access = orders.functions
      .map((fn) => {
        const onCustomers = dynamoStatements(roleStatements(template, fn))
          .filter((s) => JSON.stringify(s.Resource).includes(customersArn))
          .flatMap(actionsOf);
        const writes = onCustomers.some((action) =>
          (TABLE_WRITE_ACTIONS as readonly string[]).includes(action),
        );
        const level = onCustomers.length === 0 ? 'none' : writes ? 'readWrite' : 'read';
        return [
          fn.label,
          onCustomers.join(',') === 'dynamodb:UpdateItem' ? 'UpdateItem only' : level,
        ] as const;
      })
      .filter(([, level]) => level !== 'none');

    // Assess
    expect(Object.fromEntries(access)).toEqual({
      'orders-create-order': 'read',
      'orders-checkout': 'read',
      'customers-get-profile': 'readWrite',
      'customers-update-profile': 'readWrite',
      'customers-set-status': 'UpdateItem only',
    });
  });

  it('reaches only cart items from the cart functions, and only the items of its transaction from the checkout', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const byLabel = (label: string) => orders.functions.find((fn) => fn.label === label) as ServiceFunction;
    const onOrders = (label: string) =>
      dynamoStatements(roleStatements(template, byLabel(label)))
        .filter((s) => JSON.stringify(s.Resource).includes(logicalIdOf(orders.ordersTable)))
        .map((s) => [s.Action, leadingKeysOf(s)]);
    const reads = (label: string) =>
      dynamoStatements(roleStatements(template, byLabel(label)))
        .filter((s) => !JSON.stringify(s.Resource).includes(logicalIdOf(orders.ordersTable)))
        .flatMap(actionsOf);

    // Act
    const grants = {
      get: onOrders('orders-get-cart'),
      set: onOrders('orders-set-cart-item'),
      clear: onOrders('orders-clear-cart'),
      checkout: onOrders('orders-checkout'),
    };

    // Assess
    expect(grants).toEqual({
      get: [['dynamodb:GetItem', ['CART#*']]],
      set: [[['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], ['CART#*']]],
      clear: [['dynamodb:DeleteItem', ['CART#*']]],
      checkout: [
        [['dynamodb:DeleteItem', 'dynamodb:GetItem'], ['CART#*']],
        [['dynamodb:GetItem', 'dynamodb:PutItem'], ['IDEMPOTENCY#*']],
        ['dynamodb:PutItem', ['ORDER#*']],
      ],
    });
    for (const label of ['orders-get-cart', 'orders-set-cart-item', 'orders-checkout']) {
      expect(reads(label)).toEqual(expect.arrayContaining(['dynamodb:BatchGetItem']));
      for (const write of TABLE_WRITE_ACTIONS) expect(reads(label)).not.toContain(write);
    }
    expect(reads('orders-clear-cart')).toEqual([]);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.header.Idempotency-Key': true },
      Integration: Match.objectLike({
        Uri: Match.objectLike({
          'Fn::Join': [
            '',
            Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(byLabel('orders-checkout')), 'Arn'] }]),
          ],
        }),
      }),
    });
  });

  it('throttles the API stage and POST /orders', () => {
    // Prepare
    const stageProps = { StageName: 'v1' };

    // Act
    const stages = template.findResources('AWS::ApiGateway::Stage', { Properties: stageProps });

    // Assess
    expect(Object.keys(stages)).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          MetricsEnabled: true,
          LoggingLevel: 'ERROR',
        }),
        { HttpMethod: 'POST', ResourcePath: '/~1orders', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        {
          HttpMethod: 'POST',
          ResourcePath: '/~1cart~1checkout',
          ThrottlingRateLimit: 20,
          ThrottlingBurstLimit: 40,
        },
      ]),
    });
  });

  it('writes JSON access logs to a log group', () => {
    // Prepare
    const { api } = testApp.stacks.orders;

    // Act
    const stage = template.findResources('AWS::ApiGateway::Stage');
    const [settings] = Object.values(stage).map(
      (s) => s.Properties.AccessLogSetting as { DestinationArn: unknown; Format: string },
    );

    // Assess
    expect(settings?.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(api.accessLogGroup), 'Arn'] });
    expect(JSON.parse(settings?.Format ?? '')).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
  });

  it('requires the Idempotency-Key header on POST /orders through the request validator', () => {
    // Prepare
    const { api, functions } = testApp.stacks.orders;
    const createOrder = functions.find((fn) => fn.label === 'orders-create-order') as ServiceFunction;

    // Act
    const expected = {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.header.Idempotency-Key': true },
      RequestValidatorId: { Ref: logicalIdOf(api.validator) },
      Integration: Match.objectLike({
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [logicalIdOf(createOrder), 'Arn'] }])],
        }),
      }),
    };

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Method', expected);
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestParameters: true,
      ValidateRequestBody: true,
    });
  });

  it('routes every path to its function, behind the Cognito authorizer unless it is the public catalog, health or OpenAPI document', () => {
    // Prepare
    const { functions } = testApp.stacks.orders;
    const fnId = (label: string) => logicalIdOf(functions.find((f) => f.label === label) as ServiceFunction);
    const routes: Array<[string, string, 'COGNITO_USER_POOLS' | 'NONE']> = [
      ['POST', 'orders-create-order', 'COGNITO_USER_POOLS'],
      ['GET', 'orders-list-orders', 'COGNITO_USER_POOLS'],
      ['GET', 'orders-get-order', 'COGNITO_USER_POOLS'],
      ['POST', 'orders-cancel-order', 'COGNITO_USER_POOLS'],
      ['GET', 'orders-get-cart', 'COGNITO_USER_POOLS'],
      ['PUT', 'orders-set-cart-item', 'COGNITO_USER_POOLS'],
      ['DELETE', 'orders-clear-cart', 'COGNITO_USER_POOLS'],
      ['POST', 'orders-checkout', 'COGNITO_USER_POOLS'],
      ['GET', 'customers-get-profile', 'COGNITO_USER_POOLS'],
      ['PUT', 'customers-update-profile', 'COGNITO_USER_POOLS'],
      ['GET', 'catalog-list-products', 'NONE'],
      ['GET', 'catalog-get-product', 'NONE'],
      ['GET', 'orders-health', 'NONE'],
      ['GET', 'orders-openapi', 'NONE'],
      ['GET', 'admin-list-dead-letters', 'COGNITO_USER_POOLS'],
      ['POST', 'admin-redrive-dead-letter', 'COGNITO_USER_POOLS'],
      ['GET', 'analytics-get-metrics', 'COGNITO_USER_POOLS'],
      ['PUT', 'customers-set-status', 'COGNITO_USER_POOLS'],
      ['PUT', 'inventory-adjust-stock', 'COGNITO_USER_POOLS'],
      ['POST', 'catalog-create-product', 'COGNITO_USER_POOLS'],
    ];
    const [authorizerId] = Object.keys(template.findResources('AWS::ApiGateway::Authorizer'));

    // Act
    const methods = template.findResources('AWS::ApiGateway::Method');

    // Assess
    expect(Object.keys(methods)).toHaveLength(routes.length);
    for (const [httpMethod, label, authorizationType] of routes) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: httpMethod,
        AuthorizationType: authorizationType,
        ...(authorizationType === 'NONE' ? {} : { AuthorizerId: { Ref: authorizerId } }),
        Integration: Match.objectLike({
          Type: 'AWS_PROXY',
          Uri: Match.objectLike({
            'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [fnId(label), 'Arn'] }])],
          }),
        }),
      });
    }
    const paths = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(paths.sort()).toEqual([
      'admin',
      'cancel',
      'cart',
      'checkout',
      'customers',
      'dead-letters',
      'health',
      'items',
      'me',
      'metrics',
      'openapi.json',
      'orders',
      'products',
      'products',
      'redrive',
      'status',
      'stock',
      '{customerId}',
      '{id}',
      '{orderId}',
      '{productId}',
      '{productId}',
      '{productId}',
    ]);
  });

  it("checks ID tokens of the identity stack's user pool in the Authorization header", () => {
    // Prepare
    const identity = testApp.stacks.identity;
    if (!identity) throw new Error('the identity stack is missing');

    // Act
    const authorizers = Object.values(template.findResources('AWS::ApiGateway::Authorizer'));

    // Assess
    expect(authorizers).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Type: 'COGNITO_USER_POOLS',
          IdentitySource: 'method.request.header.Authorization',
          ProviderARNs: [{ 'Fn::ImportValue': expect.stringContaining('UserPool') }],
          AuthorizerResultTtlInSeconds: 300,
        }),
      }),
    ]);
  });

  it('answers 401 and 403 from the gateway in the project error shape', () => {
    // Act
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'));

    // Assess
    const byType = (type: string) => responses.find((r) => r.Properties.ResponseType === type)?.Properties;
    expect(byType('UNAUTHORIZED')).toMatchObject({ StatusCode: '401' });
    expect(JSON.parse(byType('UNAUTHORIZED')?.ResponseTemplates['application/json'])).toEqual({
      error: {
        code: 'UNAUTHORIZED',
        message: 'Sign in: a valid ID token is required in the Authorization header',
        details: [],
      },
    });
    expect(byType('ACCESS_DENIED')).toMatchObject({ StatusCode: '403' });
    expect(byType('WAF_FILTERED')).toMatchObject({ StatusCode: '403' });
  });

  it('answers gateway errors in the project error shape', () => {
    // Prepare
    const types = [
      'BAD_REQUEST_PARAMETERS',
      'BAD_REQUEST_BODY',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'THROTTLED',
      'REQUEST_TOO_LARGE',
    ];

    // Act
    const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'));

    // Assess
    for (const type of types) {
      const response = responses.find((r) => r.Properties.ResponseType === type);
      expect(response, type).toBeDefined();
      const body = response?.Properties.ResponseTemplates['application/json'] as string;
      // The template becomes JSON once API Gateway substitutes the quoted message string.
      const rendered = JSON.parse(body.replace('$context.error.messageString', '"Something went wrong"'));
      expect(rendered).toEqual({
        error: { code: expect.any(String), message: expect.any(String), details: [] },
      });
      expect(response?.Properties.ResponseParameters).toEqual({
        'gatewayresponse.header.Content-Type': "'application/json'",
      });
    }
    const throttled = responses.find((r) => r.Properties.ResponseType === 'THROTTLED');
    expect(throttled?.Properties.StatusCode).toBe('429');
    const default5xx = responses.find((r) => r.Properties.ResponseType === 'DEFAULT_5XX');
    expect(default5xx?.Properties.ResponseTemplates['application/json']).not.toContain('$context.error');
  });

  it('seeds the catalog from data/products.json through a custom resource', () => {
    // Prepare
    const catalog = JSON.parse(readFileSync(new URL('../../data/products.json', import.meta.url), 'utf8'));

    // Act
    const seeds = template.findResources('Custom::SeedProducts');

    // Assess
    expect(Object.values(seeds)).toHaveLength(1);
    // Stock is the inventory service's: its own seed writes it.
    expect(Object.values(seeds)[0]?.Properties.Products).toEqual(
      catalog.map(({ stock: _stock, ...entry }: { stock: number }) => entry),
    );
    expect(Object.values(seeds)[0]?.Properties.ServiceToken).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ProductSeedProviderframeworkonEvent/), 'Arn'],
    });
  });

  it('defines the outbox alarms', () => {
    // Prepare
    const { outbox } = testApp.stacks.orders;

    // Act
    const alarms = outbox.alarms.map((alarm) => resourceOf(template, alarm).Properties);

    // Assess
    expect(alarms).toEqual([
      expect.objectContaining({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
      expect.objectContaining({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 }),
      expect.objectContaining({
        MetricName: 'IteratorAge',
        Threshold: 60_000,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
      expect.objectContaining({
        MetricName: 'OutboxQuarantined',
        Namespace: 'OrderSaga',
        Dimensions: [{ Name: 'service', Value: 'orders' }],
        Threshold: 0,
      }),
      expect.objectContaining({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 }),
      expect.objectContaining({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 }),
    ]);
    expect(alarms[0]?.Dimensions).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(outbox.onFailureQueue), 'QueueName'] } },
    ]);
    expect(alarms[2]?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: logicalIdOf(outbox.relayFunction) } },
    ]);
  });

  it('outputs the API URL and the table names', () => {
    // Prepare
    const outputs = template.findOutputs('*');

    // Act
    const names = Object.keys(outputs).sort();

    // Assess
    expect(names).toEqual(
      expect.arrayContaining(['ApiUrl', 'OrdersTableName', 'ProductsTableName', 'CustomersTableName']),
    );
  });
});
