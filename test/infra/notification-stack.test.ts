import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { TABLE_WRITE_ACTIONS } from '../../lib/constructs/service-function';
import { InfrastructureError } from '../../lib/errors';
import { NotificationStack } from '../../lib/stacks/notification-stack';
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

describe('Stack: NotificationStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    template = testApp.template(testApp.stacks.notification);
  });

  it('is named after the stage', () => {
    // Given
    const { notification } = testApp.stacks;

    // When
    const name = notification.stackName;

    // Then
    expect(name).toBe('OrderSaga-test-Notification');
  });

  it('creates the notifications table like every outbox table: stream, TTL, PITR, on demand, unpublished index', () => {
    // Given
    const { notificationsTable } = testApp.stacks.notification;

    // When
    const table = resourceOf(template, notificationsTable).Properties;

    // Then
    expect(table).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
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

  it('consumes orders.events only, with its own consumer group', () => {
    // Given
    const { consumer } = testApp.stacks.notification;

    // When
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(consumer.fn) } },
    });

    // Then
    const properties = Object.values(mappings).map((mapping) => mapping.Properties);
    expect(properties).toHaveLength(1);
    expect(properties[0]).toMatchObject({
      Topics: ['orders.events'],
      StartingPosition: 'TRIM_HORIZON',
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'order-saga-notification-orders.events' },
      BisectBatchOnFunctionError: true,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(consumer.onFailureQueue), 'Arn'] } },
      },
    });
  });

  it('gives the consumer its table, the failure rate (default 0) and the consumer settings', () => {
    // Given
    const { consumer, notificationsTable } = testApp.stacks.notification;

    // When
    const env = (
      resourceOf(template, consumer.fn).Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    // Then
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'notification',
      NOTIFICATIONS_TABLE_NAME: { Ref: logicalIdOf(notificationsTable) },
      IDEMPOTENCY_TABLE_NAME: { Ref: logicalIdOf(consumer.idempotencyTable) },
      DEAD_LETTER_TABLE_NAME: expect.anything(),
      CONSUMER_MAX_ATTEMPTS: '3',
      NOTIFY_FAILURE_RATE: '0',
    });
  });

  it('scopes the consumer to item access on its own tables and the dead-letter table', () => {
    // Given
    const { consumer, notificationsTable } = testApp.stacks.notification;

    // When
    const statements = dynamoStatements(roleStatements(template, consumer.fn));

    // Then
    const resources = statements.flatMap((statement) => [statement.Resource].flat());
    const own = [
      { 'Fn::GetAtt': [logicalIdOf(consumer.idempotencyTable), 'Arn'] },
      { 'Fn::GetAtt': [logicalIdOf(notificationsTable), 'Arn'] },
    ];
    expect(resources).toEqual(expect.arrayContaining(own));
    const others = resources.filter((r) => !own.some((o) => JSON.stringify(o) === JSON.stringify(r)));
    // The only other table is the shared dead-letter table, imported from the messaging stack.
    expect(others).toEqual([
      { 'Fn::ImportValue': expect.stringMatching(/^OrderSaga-test-Messaging:.*DeadLetterTable.*Arn/) },
    ]);
    expect(statements.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']),
    );
  });

  it('publishes its outbox through its own relay and sweeper with least privilege', () => {
    // Given
    const { outbox, notificationsTable } = testApp.stacks.notification;

    // When
    const relay = dynamoStatements(roleStatements(template, outbox.relayFunction));
    const sweeper = dynamoStatements(roleStatements(template, outbox.sweeperFunction));

    // Then
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(outbox.relayFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(notificationsTable), 'StreamArn'] },
      FilterCriteria: {
        Filters: [
          { Pattern: '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"entity":{"S":["OUTBOX"]}}}}' },
        ],
      },
    });
    expect(relay.flatMap(actionsOf)).not.toContain('dynamodb:PutItem');
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
    for (const action of TABLE_WRITE_ACTIONS.filter((a) => a !== 'dynamodb:UpdateItem')) {
      expect(relay.flatMap(actionsOf)).not.toContain(action);
    }
  });

  it('hands its functions, relay and alarms to the observability stack', () => {
    // Given
    const { notification, observability } = testApp.stacks;
    const observabilityTemplate = testApp.template(observability);

    // When
    const dashboard = JSON.stringify(
      Object.values(observabilityTemplate.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties
        .DashboardBody,
    );

    // Then
    expect(notification.functions.map(({ label }) => label)).toEqual([
      'notification-consumer',
      'notifications-relay',
      'notifications-sweeper',
    ]);
    expect(notification.alarms).toHaveLength(
      notification.consumer.alarms.length + notification.outbox.alarms.length,
    );
    expect(notification.alarms.length).toBeGreaterThan(0);
    expect(observability.notifyingAlarms.length).toBeGreaterThanOrEqual(notification.alarms.length);
    expect(dashboard).toContain('notifications relay on-failure');
    expect(dashboard).toContain('notification-consumer');
  });

  it('rejects a failure rate outside 0..1', () => {
    // Given
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { messaging } = testApp.stacks;

    // When
    const create = () =>
      new NotificationStack(app, 'Bad', {
        config: loadConfig(app),
        kafka: messaging.kafka,
        deadLetters: messaging.deadLetters,
        failureRate: 1.5,
      });

    // Then
    expect(create).toThrow(InfrastructureError);
  });
});
