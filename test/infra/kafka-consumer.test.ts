import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsConsumerFn } from '#functions/analytics/contract';
import { SagaConsumerFn } from '#functions/orders/contract';
import {
  batchSizeWithin,
  consumerGroupId,
  type KafkaConsumer,
  KafkaConsumer as KafkaConsumerConstruct,
} from '#lib/constructs/kafka-consumer';
import { InfrastructureError } from '#lib/errors';
import {
  actionsOf,
  buildTestApp,
  logicalIdOf,
  resourceOf,
  roleStatements,
  type TestApp,
} from './app-fixture';

const BYO_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1';
const TOPIC_PREFIX =
  'arn:aws:kafka:eu-west-1:123456789012:topic/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1';
const GROUP_PREFIX =
  'arn:aws:kafka:eu-west-1:123456789012:group/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1';

let testApp: TestApp;
let template: Template;
let consumer: KafkaConsumer<typeof SagaConsumerFn>;

describe('Construct: KafkaConsumer', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test', mskClusterArn: BYO_ARN });
    consumer = testApp.stacks.orders.saga;
    template = testApp.template(testApp.stacks.orders);
  });

  it('maps each topic with TRIM_HORIZON, a consumer group, batching, Kafka metrics, partial batch responses and an S3 failure destination', () => {
    // Prepare
    const topics = ['inventory.events', 'payments.events', 'shipping.events'];

    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(consumer.fn) } },
    });

    // Assess
    expect(Object.keys(mappings)).toHaveLength(3);
    for (const topic of topics) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalIdOf(consumer.fn) },
        EventSourceArn: BYO_ARN,
        Topics: [topic],
        StartingPosition: 'TRIM_HORIZON',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `order-saga-orders-${topic}` },
        BatchSize: 100,
        // The saga is on the critical path of POST → CONFIRMED: no batching window.
        MaximumBatchingWindowInSeconds: 0,
        // Every consumer's mappings share the stage's poller group: one EPU for all of them at rest.
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3, PollerGroupName: 'order-saga-test' },
        MetricsConfig: { Metrics: ['KafkaMetrics'] },
        MaximumRetryAttempts: 10,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(consumer.discardedBatches), 'Arn'] } },
        },
      });
    }
  });

  it('puts every MSK mapping of the app in the stage’s one poller group', () => {
    // Act
    const groups = Object.values(testApp.stacks)
      .filter((stack): stack is NonNullable<typeof stack> => stack !== undefined)
      .flatMap((stack) =>
        Object.values(testApp.template(stack).findResources('AWS::Lambda::EventSourceMapping')).filter(
          (mapping) => mapping.Properties.AmazonManagedKafkaEventSourceConfig !== undefined,
        ),
      )
      .map((mapping) => mapping.Properties.ProvisionedPollerConfig?.PollerGroupName);

    // Assess: every consumer of every service (AWS allows up to 100 mappings per group).
    expect(groups.length).toBeGreaterThanOrEqual(10);
    expect(groups.length).toBeLessThanOrEqual(100);
    expect(new Set(groups)).toEqual(new Set(['order-saga-test']));
  });

  it('keeps discarded batches in a private, encrypted, TLS-only bucket for 30 days', () => {
    // Act
    const bucket = resourceOf(template, consumer.discardedBatches);

    // Assess
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(consumer.discardedBatches) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('records every object of the bucket as dead letters through a function invoked by S3', () => {
    // Prepare
    const recorder = consumer.discardedBatchesFunction;

    // Act
    const notifications = template.findResources('Custom::S3BucketNotifications');
    const env = (
      resourceOf(template, recorder).Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const statements = roleStatements(template, recorder);

    // Assess
    expect(Object.values(notifications).map((resource) => resource.Properties)).toEqual([
      expect.objectContaining({
        BucketName: { Ref: logicalIdOf(consumer.discardedBatches) },
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Events: ['s3:ObjectCreated:*'],
              LambdaFunctionArn: { 'Fn::GetAtt': [logicalIdOf(recorder), 'Arn'] },
            },
          ],
        },
      }),
    ]);
    expect(env).toMatchObject({
      CONSUMER_SERVICE: 'orders',
      DEAD_LETTER_TABLE_NAME: { 'Fn::ImportValue': expect.stringContaining('DeadLetterTable') },
    });
    expect(statements.find((s) => s.Sid === 'DiscardedBatchesRead')).toMatchObject({
      Action: 's3:GetObject',
      Resource: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(consumer.discardedBatches), 'Arn'] }, '/*']],
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(recorder) },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalIdOf(consumer.discardedBatchesDeadLetterQueue), 'Arn'] },
        },
      },
    });
  });

  it('keeps the function out of the VPC and gives it its tables and the attempt limit', () => {
    // Prepare
    const { messaging } = testApp.stacks;

    // Act
    const fn = resourceOf(template, consumer.fn).Properties;

    // Assess
    expect(fn.VpcConfig).toBeUndefined();
    expect(fn.Environment).toMatchObject({
      Variables: {
        ORDERS_TABLE_NAME: { Ref: logicalIdOf(testApp.stacks.orders.ordersTable) },
        DEAD_LETTER_TABLE_NAME: { 'Fn::ImportValue': expect.stringContaining('DeadLetterTable') },
        CONSUMER_MAX_ATTEMPTS: '3',
        POWERTOOLS_SERVICE_NAME: 'orders',
      },
    });
    expect(messaging.deadLetters).toBeDefined();
  });

  it('creates the idempotency table in the Powertools schema, on demand with PITR', () => {
    // Prepare
    const { inventory } = testApp.stacks;
    const table = resourceOf(
      testApp.template(inventory),
      inventory.consumer.idempotencyTable as dynamodb.Table,
    );

    // Act
    const properties = table.Properties;

    // Assess
    expect(properties).toMatchObject({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('scopes Kafka access to the cluster, its own topics and its own consumer groups', () => {
    // Prepare
    const statements = roleStatements(template, consumer.fn);

    // Act
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));

    // Assess
    expect(bySid.MskConsumerCluster).toMatchObject({
      Action: [
        'kafka-cluster:Connect',
        'kafka-cluster:DescribeClusterDynamicConfiguration',
        'kafka:DescribeClusterV2',
        'kafka:GetBootstrapBrokers',
      ],
      Resource: BYO_ARN,
    });
    expect(bySid.MskConsumerTopics).toMatchObject({
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      Resource: [
        `${TOPIC_PREFIX}/inventory.events`,
        `${TOPIC_PREFIX}/payments.events`,
        `${TOPIC_PREFIX}/shipping.events`,
      ],
    });
    expect(bySid.MskConsumerGroups).toMatchObject({
      Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
      Resource: [
        `${GROUP_PREFIX}/order-saga-orders-inventory.events`,
        `${GROUP_PREFIX}/order-saga-orders-payments.events`,
        `${GROUP_PREFIX}/order-saga-orders-shipping.events`,
      ],
    });
    expect(bySid.MskConsumerReplayGroups).toMatchObject({
      Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
    });
    const replayGroups = JSON.stringify(bySid.MskConsumerReplayGroups?.Resource);
    expect(replayGroups).toContain(':group/*/*/order-saga-orders-inventory.events-replay-*');
    expect(replayGroups).toContain(':group/*/*/order-saga-orders-payments.events-replay-*');
    const kafkaActions = statements
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('kafka-cluster:'));
    expect(kafkaActions).not.toContain('kafka-cluster:WriteData');
  });

  it('grants nothing on a wildcard resource except X-Ray, the objects of its discarded-batch bucket and the replay groups of its own groups', () => {
    // Prepare
    const statements = roleStatements(template, consumer.fn);
    const bucketArn = { 'Fn::GetAtt': [logicalIdOf(consumer.discardedBatches), 'Arn'] };

    // Act
    const wildcard = statements
      .filter((statement) => statement.Sid !== 'MskConsumerReplayGroups')
      .filter((statement) => JSON.stringify(statement.Resource).includes('*'));
    const groups = JSON.stringify(
      statements.find((statement) => statement.Sid === 'MskConsumerReplayGroups')?.Resource,
    );

    // Assess
    for (const statement of wildcard.filter((s) => s.Sid !== 'DiscardedBatchesWrite')) {
      expect(actionsOf(statement).every((action) => action.startsWith('xray:'))).toBe(true);
    }
    expect(statements.find((s) => s.Sid === 'DiscardedBatchesWrite')).toMatchObject({
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [bucketArn, '/*']] },
    });
    expect(statements.find((s) => s.Sid === 'DiscardedBatchesList')).toMatchObject({
      Action: 's3:ListBucket',
      Resource: bucketArn,
    });
    expect(statements.flatMap(actionsOf)).not.toContain('sqs:SendMessage');
    expect(groups.match(/group\/\*\/\*\/[^"]+/g)).toEqual(
      consumer.consumerGroups.map((group) => `group/*/*/${group}-replay-*`),
    );
  });

  it('invokes the consumers on the critical path without a batching window, and gathers analytics for 10 s', () => {
    // Prepare
    const windowOf = (stack: Stack, fn: Parameters<typeof logicalIdOf>[0]) =>
      Object.values(
        testApp.template(stack).findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: { Ref: logicalIdOf(fn) } },
        }),
      ).map((mapping) => mapping.Properties.MaximumBatchingWindowInSeconds);
    const { orders, inventory, payments, notifications, analytics } = testApp.stacks;

    // Act
    const windows = {
      saga: windowOf(orders, orders.saga.fn),
      inventory: windowOf(inventory, inventory.consumer.fn),
      payments: windowOf(payments, payments.consumer.fn),
      notifications: windowOf(notifications, notifications.consumer.fn),
      analytics: windowOf(analytics, analytics.consumer.fn),
    };

    // Assess
    for (const critical of [windows.saga, windows.inventory, windows.payments]) {
      expect(critical.length).toBeGreaterThan(0);
      expect(new Set(critical)).toEqual(new Set([0]));
    }
    expect(windows.notifications.length).toBeGreaterThan(0);
    expect(new Set(windows.notifications)).toEqual(new Set([1]));
    expect(windows.analytics.length).toBeGreaterThan(0);
    expect(new Set(windows.analytics)).toEqual(new Set([10]));
  });

  it('uses one consumer group per service and topic', () => {
    // Prepare
    const groups = testApp.stacks.analytics.consumer.consumerGroups;

    // Act
    const unique = new Set(groups);

    // Assess
    expect(unique.size).toBe(5);
    expect(groups).toContain(consumerGroupId('analytics', 'orders.events'));
    expect(groups).toContain(consumerGroupId('analytics', 'shipping.events'));
  });

  it('rejects a retry limit that would not let events reach the dead-letter table first', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    const table = new dynamodb.Table(stack, 'Dlq', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const kafka = {
      clusterArn: BYO_ARN,
      vpc,
      subnets: {},
      clientSecurityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
    };

    // Act
    let attempt = 0;
    const act = () =>
      new KafkaConsumerConstruct(stack, `Consumer${attempt++}`, {
        contract: SagaConsumerFn,
        kafka,
        tables: { ORDERS_TABLE_NAME: table },
        deadLetters: table,
        settings: { CONSUMER_MAX_ATTEMPTS: 3 },
        retryAttempts: 3,
        maxBatchingWindow: Duration.seconds(1),
      });

    // Assess
    expect(act).toThrow(InfrastructureError);
    expect(act).toThrow('retryAttempts must be an integer above CONSUMER_MAX_ATTEMPTS (3)');
  });

  it('derives the batch size from the record budget so that a batch fits nine tenths of the timeout', () => {
    // Act
    const derived = batchSizeWithin('c', Duration.seconds(120), Duration.millis(7_300), undefined);
    const capped = batchSizeWithin('c', Duration.seconds(60), Duration.millis(10), undefined);
    const unbounded = batchSizeWithin('c', Duration.seconds(60), undefined, undefined);

    // Assess
    expect(derived).toBe(14);
    expect(capped).toBe(100);
    expect(unbounded).toBe(100);
  });

  it.each([
    ['a batch size that does not fit the budget', Duration.seconds(10), 30, 'does not fit'],
    [
      'a record that alone exceeds the timeout',
      Duration.seconds(70),
      undefined,
      'more than the timeout allows',
    ],
  ])('refuses %s', (_, recordBudget, requested, message) => {
    // Act
    const act = () => batchSizeWithin('c', Duration.seconds(60), recordBudget, requested);

    // Assess
    expect(act).toThrow(InfrastructureError);
    expect(act).toThrow(message);
  });

  it('gives a consumer without per-record idempotency no idempotency table', () => {
    // Prepare
    const { analytics } = testApp.stacks;

    // Act
    const tables = testApp.template(analytics).findResources('AWS::DynamoDB::Table');
    const variables = resourceOf(testApp.template(analytics), analytics.consumer.fn).Properties
      .Environment as {
      Variables: Record<string, unknown>;
    };

    // Assess
    expect(AnalyticsConsumerFn.tables).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
    expect(analytics.consumer.idempotencyTable).toBeUndefined();
    expect(Object.keys(tables)).toEqual([logicalIdOf(analytics.analyticsTable)]);
    expect(variables.Variables).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
  });
});

describe('Construct: KafkaConsumer (idempotency)', () => {
  beforeAll(() => {
    testApp ??= buildTestApp({ stage: 'test', mskClusterArn: BYO_ARN });
  });

  it('gives the saga no idempotency table, as its conditional write is its idempotency', () => {
    // Prepare
    const { orders } = testApp.stacks;
    const ordersTemplate = testApp.template(orders);

    // Act
    const tables = Object.keys(ordersTemplate.findResources('AWS::DynamoDB::Table'));
    const variables = (
      resourceOf(ordersTemplate, orders.saga.fn).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;

    // Assess
    expect(SagaConsumerFn.tables).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
    expect(orders.saga.idempotencyTable).toBeUndefined();
    expect(tables.filter((id) => /Idempotency/i.test(id))).toEqual([]);
    expect(variables).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
    expect(variables).toHaveProperty('DEAD_LETTER_TABLE_NAME');
    // It still parks records and retries them every minute.
    expect(orders.saga.parkedSweep).toBeDefined();
  });

  it('gives the inventory, payment and notification consumers each their own idempotency table', () => {
    // Prepare
    const { inventory, payments, notifications } = testApp.stacks;

    // Act
    const consumers = [inventory, payments, notifications].map((stack) => {
      const stackTemplate = testApp.template(stack);
      const table = stack.consumer.idempotencyTable;
      return {
        tables: Object.keys(stackTemplate.findResources('AWS::DynamoDB::Table')),
        table: table && logicalIdOf(table),
        variable: (
          resourceOf(stackTemplate, stack.consumer.fn).Properties.Environment as {
            Variables: Record<string, unknown>;
          }
        ).Variables.IDEMPOTENCY_TABLE_NAME,
      };
    });

    // Assess
    for (const { tables, table, variable } of consumers) {
      expect(table).toMatch(/IdempotencyTable/);
      expect(tables).toContain(table);
      expect(variable).toEqual({ Ref: table });
    }
  });
});

describe('Stack: MessagingStack (dead letters)', () => {
  it('creates the dead-letter table with its status index and the index of parked records', () => {
    // Prepare
    const app = buildTestApp({ stage: 'test' });
    const { messaging } = app.stacks;

    // Act
    const table = resourceOf(app.template(messaging), messaging.deadLetters).Properties;

    // Assess
    expect(table).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.StreamSpecification).toBeUndefined();
    expect(table.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byStatus',
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
      }),
      expect.objectContaining({
        IndexName: 'parked',
        KeySchema: [
          { AttributeName: 'parkedService', KeyType: 'HASH' },
          { AttributeName: 'retryAt', KeyType: 'RANGE' },
        ],
      }),
    ]);
    expect(Object.keys(app.template(messaging).findResources('AWS::Lambda::EventSourceMapping'))).toEqual([]);
  });
});

describe('Construct: KafkaConsumer (partial batches and parked records)', () => {
  it('asks for partial batch responses and retries parked records every minute', () => {
    // Prepare
    const app = buildTestApp({ stage: 'test' });
    const { orders } = app.stacks;
    const t = app.template(orders);

    // Act
    const mappings = t.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(orders.saga.fn) } },
    });
    const rules = t.findResources('AWS::Events::Rule', {
      Properties: { ScheduleExpression: 'rate(1 minute)' },
    });

    // Assess
    expect(Object.values(mappings).map((m) => m.Properties.FunctionResponseTypes)).toEqual([
      ['ReportBatchItemFailures'],
      ['ReportBatchItemFailures'],
      ['ReportBatchItemFailures'],
    ]);
    expect(
      Object.values(rules).filter((rule) =>
        JSON.stringify(rule.Properties.Targets).includes(logicalIdOf(orders.saga.fn)),
      ),
    ).toHaveLength(1);
    const statements = roleStatements(t, orders.saga.fn);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'dynamodb:Query',
          Resource: expect.objectContaining({
            'Fn::Join': expect.arrayContaining([expect.arrayContaining(['/index/parked'])]),
          }),
        }),
      ]),
    );
  });
});

describe('Construct: KafkaConsumer (kafkaEventSources=bridge)', () => {
  let bridged: TestApp;

  beforeAll(() => {
    bridged = buildTestApp({
      stage: 'test',
      mskClusterArn: BYO_ARN,
      mskBootstrapBrokers: 'kafka:9092',
      kafkaAuth: 'none',
      kafkaEventSources: 'bridge',
    });
  });

  it('creates no MSK event source mapping and exports each mapping’s settings for the bridge', () => {
    // Prepare
    const orders = bridged.template(bridged.stacks.orders);
    const saga = bridged.stacks.orders.saga;

    // Act
    const kafkaMappings = Object.values(orders.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (resource) => 'AmazonManagedKafkaEventSourceConfig' in (resource.Properties ?? {}),
    );
    const outputs = Object.values(orders.toJSON().Outputs ?? {}) as { Value: unknown }[];
    const exported = Object.keys(orders.toJSON().Outputs ?? {}).filter((key) =>
      key.startsWith('KafkaMapping'),
    );

    // Assess
    expect(kafkaMappings).toEqual([]);
    expect(saga.eventSources).toEqual([]);
    expect(exported.sort()).toEqual([
      'KafkaMappingordersinventoryevents',
      'KafkaMappingorderspaymentsevents',
      'KafkaMappingordersshippingevents',
    ]);
    expect(saga.bridgedMappings.map((mapping) => [mapping.topic, mapping.consumerGroupId])).toEqual([
      ['inventory.events', 'order-saga-orders-inventory.events'],
      ['payments.events', 'order-saga-orders-payments.events'],
      ['shipping.events', 'order-saga-orders-shipping.events'],
    ]);
    expect(saga.bridgedMappings[0]).toMatchObject({
      startingPosition: 'TRIM_HORIZON',
      batchSize: 100,
      maximumBatchingWindowInSeconds: 0,
      maximumRetryAttempts: 10,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
    });
    expect(JSON.stringify(outputs)).toContain(
      '\\"consumerGroupId\\":\\"order-saga-orders-inventory.events\\"',
    );
  });

  it('keeps the MSK mappings when the context does not ask for a bridge', () => {
    // Prepare
    const orders = testApp.template(testApp.stacks.orders);

    // Act
    const outputs = Object.keys(orders.toJSON().Outputs ?? {}).filter((key) =>
      key.startsWith('KafkaMapping'),
    );

    // Assess
    expect(outputs).toEqual([]);
    expect(testApp.stacks.orders.saga.bridgedMappings).toEqual([]);
    expect(testApp.stacks.orders.saga.eventSources).toHaveLength(3);
  });
});
