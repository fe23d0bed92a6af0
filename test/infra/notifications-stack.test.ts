import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config';
import { TABLE_WRITE_ACTIONS } from '#lib/constructs/service-function';
import { InfrastructureError } from '#lib/errors';
import { NotificationsStack } from '#lib/stacks/notifications-stack';
import {
  actionsOf,
  buildTestApp,
  logicalIdOf,
  type PolicyStatementJson,
  resourceOf,
  roleStatements,
  type TestApp,
} from './app-fixture';

let testApp: TestApp;
let template: Template;

const dynamoStatements = (statements: PolicyStatementJson[]) =>
  statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));

/** The table a statement is on: the logical id inside `Fn::GetAtt`/`Fn::ImportValue`, as a string. */
const resourceText = (statement: PolicyStatementJson) => JSON.stringify(statement.Resource);

/** The leading keys a statement's condition allows, or `any` when it has no such condition. */
const leadingKeysOf = (statement: unknown) =>
  (statement as { Condition?: Record<string, Record<string, unknown>> }).Condition?.[
    'ForAllValues:StringLike'
  ]?.['dynamodb:LeadingKeys'] ?? 'any';

describe('Stack: NotificationsStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    template = testApp.template(testApp.stacks.notifications);
  });

  it('is named after the stage', () => {
    // Prepare
    const { notifications } = testApp.stacks;

    // Act
    const name = notifications.stackName;

    // Assess
    expect(name).toBe('OrderSaga-test-Notifications');
  });

  it('creates the notifications table like every outbox table: stream, TTL, PITR, on demand, unpublished index', () => {
    // Prepare
    const { notificationsTable } = testApp.stacks.notifications;

    // Act
    const table = resourceOf(template, notificationsTable).Properties;

    // Assess
    expect(table).toMatchObject({
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
        },
      ],
    });
    // The stack's tables: notifications and the consumer's idempotency table.
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
  });

  it('consumes orders.events and shipping.events, each with its own consumer group', () => {
    // Prepare
    const { consumer } = testApp.stacks.notifications;

    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(consumer.fn) } },
    });

    // Assess
    const properties = Object.values(mappings).map((mapping) => mapping.Properties);
    expect(properties).toHaveLength(2);
    expect(properties.map((mapping) => mapping.Topics).sort()).toEqual([
      ['orders.events'],
      ['shipping.events'],
    ]);
    for (const topic of ['orders.events', 'shipping.events']) {
      expect(properties.find((mapping) => mapping.Topics[0] === topic)).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `order-saga-notifications-${topic}` },
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(consumer.discardedBatches), 'Arn'] } },
        },
      });
    }
  });

  it('gives the consumer its table, the failure rate (default 0) and the consumer settings', () => {
    // Prepare
    const { consumer, notificationsTable } = testApp.stacks.notifications;

    // Act
    const env = (
      resourceOf(template, consumer.fn).Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    // Assess
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'notifications',
      NOTIFICATIONS_TABLE_NAME: { Ref: logicalIdOf(notificationsTable) },
      IDEMPOTENCY_TABLE_NAME: { Ref: logicalIdOf(consumer.idempotencyTable as Table) },
      DEAD_LETTER_TABLE_NAME: expect.anything(),
      CONSUMER_MAX_ATTEMPTS: '3',
      NOTIFY_FAILURE_RATE: '0',
      NOTIFY_MODE: 'mock',
      NOTIFY_FROM_EMAIL: '',
      NOTIFY_SES_CONFIGURATION_SET: '',
      NOTIFY_SMS_SENDER_ID: '',
      NOTIFY_SMS_ORIGINATION_NUMBER: '',
    });
  });

  it('grants no SES or SNS action with notifyMode=mock (the default)', () => {
    // Prepare
    const { consumer } = testApp.stacks.notifications;

    // Act
    const actions = roleStatements(template, consumer.fn).flatMap(actionsOf);

    // Assess
    expect(actions.filter((action) => /^(ses|sns):/.test(action))).toEqual([]);
  });

  it('scopes the consumer to item access on its own tables and the dead-letter table', () => {
    // Prepare
    const { consumer, notificationsTable } = testApp.stacks.notifications;

    // Act
    const statements = dynamoStatements(roleStatements(template, consumer.fn));

    // Assess
    const resources = statements.flatMap((statement) => [statement.Resource].flat());
    const own = [
      { 'Fn::GetAtt': [logicalIdOf(consumer.idempotencyTable as Table), 'Arn'] },
      { 'Fn::GetAtt': [logicalIdOf(notificationsTable), 'Arn'] },
    ];
    expect(resources).toEqual(expect.arrayContaining(own));
    const others = resources.filter((r) => !own.some((o) => JSON.stringify(o) === JSON.stringify(r)));
    // The only other table is the shared dead-letter table, imported from the messaging stack, where
    // it may only put dead letters, count its own attempts and park its own records (key-scoped), and
    // query its parked records through the table's `parked` index.
    const deadLetterArn = {
      'Fn::ImportValue': expect.stringMatching(/^OrderSaga-test-Messaging:.*DeadLetterTable.*Arn/),
    };
    expect(others).toEqual(
      expect.arrayContaining([deadLetterArn, { 'Fn::Join': ['', [deadLetterArn, '/index/parked']] }]),
    );
    expect(
      statements
        .filter((statement) => JSON.stringify(statement.Resource).includes('DeadLetterTable'))
        .map((statement) => [
          statement.Action,
          (statement as { Condition?: Record<string, Record<string, unknown>> }).Condition?.[
            'ForAllValues:StringLike'
          ]?.['dynamodb:LeadingKeys'] ?? 'index',
        ]),
    ).toEqual(
      expect.arrayContaining([
        ['dynamodb:PutItem', ['DEADLETTER#*', 'PARKED#notifications#*']],
        ['dynamodb:UpdateItem', ['ATTEMPTS#notifications#*']],
        ['dynamodb:DeleteItem', ['PARKED#notifications#*']],
        ['dynamodb:Query', 'index'],
      ]),
    );
    expect(statements.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']),
    );
  });

  it('publishes its outbox through its own relay and sweeper with least privilege', () => {
    // Prepare
    const { outbox, notificationsTable } = testApp.stacks.notifications;

    // Act
    const relay = dynamoStatements(roleStatements(template, outbox.relayFunction));
    const sweeper = dynamoStatements(roleStatements(template, outbox.sweeperFunction));

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(outbox.relayFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(notificationsTable), 'StreamArn'] },
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
    // The relay writes outbox rows only: the events it hands to the sweeper, the rows it marks.
    expect(
      relay
        .filter((statement) => /PutItem|UpdateItem/.test(JSON.stringify(statement.Action)))
        .map((statement) => [statement.Action, leadingKeysOf(statement)]),
    ).toEqual([[['dynamodb:PutItem', 'dynamodb:UpdateItem'], ['OUTBOX#*']]]);
    expect(sweeper.flatMap(actionsOf).sort()).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    for (const statement of [...relay, ...sweeper]) {
      // ListStreams has no resource-level permissions (merged with X-Ray); everything else is on this table.
      if (resourceText(statement) === '"*"') {
        expect(actionsOf(statement).filter((a) => a.startsWith('dynamodb:'))).toEqual([
          'dynamodb:ListStreams',
        ]);
        continue;
      }
      expect(resourceText(statement)).toContain(logicalIdOf(notificationsTable));
    }
    for (const action of TABLE_WRITE_ACTIONS.filter(
      (a) => a !== 'dynamodb:UpdateItem' && a !== 'dynamodb:PutItem',
    )) {
      expect(relay.flatMap(actionsOf)).not.toContain(action);
    }
  });

  it('hands its functions, relay and alarms to the observability stack', () => {
    // Prepare
    const { notifications, observability } = testApp.stacks;
    const observabilityTemplate = testApp.template(observability);

    // Act
    const dashboard = JSON.stringify(
      Object.values(observabilityTemplate.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties
        .DashboardBody,
    );

    // Assess
    expect(notifications.functions.map((fn) => fn.label).sort()).toEqual([
      'notifications-consumer',
      'notifications-discarded-batches',
      'notifications-relay',
      'notifications-sweeper',
    ]);
    // The consumer's own alarms, its errors alarm, and the outbox's.
    expect(notifications.alarms).toHaveLength(
      notifications.consumer.alarms.length + 1 + notifications.outbox.alarms.length,
    );
    expect(notifications.alarms.length).toBeGreaterThan(0);
    expect(observability.notifyingAlarms.length).toBeGreaterThanOrEqual(notifications.alarms.length);
    expect(dashboard).toContain('notifications relay on-failure');
    expect(dashboard).toContain('notifications-consumer');
  });

  describe('with notifyMode=aws', () => {
    let awsApp: TestApp;
    let awsTemplate: Template;
    const identity = (name: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ses:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:${name}`,
        ],
      ],
    });

    beforeAll(() => {
      awsApp = buildTestApp({
        stage: 'test',
        notifyMode: 'aws',
        notifyFromEmail: 'orders@shop.example',
        notifySesConfigurationSet: 'order-mail',
        notifySmsSenderId: 'Shop',
        notifySmsOriginationNumber: '+14155550100',
      });
      awsTemplate = awsApp.template(awsApp.stacks.notifications);
    });

    it('gives the consumer the mode and the sender identity', () => {
      // Prepare
      const { consumer } = awsApp.stacks.notifications;

      // Act
      const env = (
        resourceOf(awsTemplate, consumer.fn).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;

      // Assess
      expect(env).toMatchObject({
        NOTIFY_MODE: 'aws',
        NOTIFY_FROM_EMAIL: 'orders@shop.example',
        NOTIFY_SES_CONFIGURATION_SET: 'order-mail',
        NOTIFY_SMS_SENDER_ID: 'Shop',
        NOTIFY_SMS_ORIGINATION_NUMBER: '+14155550100',
      });
    });

    it('scopes ses:SendEmail to the sender address, its domain and the configuration set, for that sender only', () => {
      // Prepare
      const { consumer } = awsApp.stacks.notifications;

      // Act
      const statements = roleStatements(awsTemplate, consumer.fn).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('ses:')),
      );

      // Assess
      expect(statements[0]?.Resource).toHaveLength(3);
      expect(statements).toEqual([
        {
          Sid: 'SendEmailFromSenderIdentity',
          Effect: 'Allow',
          Action: 'ses:SendEmail',
          Resource: expect.arrayContaining([
            identity('identity/orders@shop.example'),
            identity('identity/shop.example'),
            identity('configuration-set/order-mail'),
          ]),
          Condition: { StringEquals: { 'ses:FromAddress': 'orders@shop.example' } },
        },
      ]);
    });

    it('grants sns:Publish alone on "*" (SMS has no resource) and nothing else on a wildcard but X-Ray and ListStreams', () => {
      // Prepare
      const { consumer, outbox } = awsApp.stacks.notifications;

      // Act
      const statements = roleStatements(awsTemplate, consumer.fn);
      const onStar = statements.filter((statement) => resourceText(statement) === '"*"');
      const relayActions = roleStatements(awsTemplate, outbox.relayFunction).flatMap(actionsOf);

      // Assess
      expect(statements.filter((statement) => actionsOf(statement).includes('sns:Publish'))).toEqual([
        { Sid: 'PublishSms', Effect: 'Allow', Action: 'sns:Publish', Resource: '*' },
      ]);
      expect(
        onStar.flatMap(actionsOf).filter((action) => !/^xray:|^dynamodb:ListStreams$/.test(action)),
      ).toEqual(['sns:Publish']);
      expect(relayActions.filter((action) => /^(ses|sns):/.test(action))).toEqual([]);
    });

    it('grants the sender domain alone when the sender has no configuration set', () => {
      // Prepare
      const app = buildTestApp({
        stage: 'test',
        notifyMode: 'aws',
        notifyFromEmail: 'no-reply@mail.shop.example',
      });
      const { consumer } = app.stacks.notifications;

      // Act
      const ses = roleStatements(app.template(app.stacks.notifications), consumer.fn).filter((statement) =>
        actionsOf(statement).includes('ses:SendEmail'),
      );

      // Assess
      expect(ses).toHaveLength(1);
      expect(ses[0]?.Resource).toHaveLength(2);
      expect(ses[0]?.Resource).toEqual(
        expect.arrayContaining([
          identity('identity/no-reply@mail.shop.example'),
          identity('identity/mail.shop.example'),
        ]),
      );
    });
  });

  it('rejects a failure rate outside 0..1', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { messaging } = testApp.stacks;

    // Act
    const create = () =>
      new NotificationsStack(app, 'Bad', {
        config: loadConfig(app),
        kafka: messaging.kafka,
        deadLetters: messaging.deadLetters,
        failureRate: 1.5,
      });

    // Assess
    expect(create).toThrow(InfrastructureError);
  });
});
