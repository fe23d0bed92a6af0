import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
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

const leadingKeysOf = (statement: unknown) =>
  (statement as { Condition?: Record<string, Record<string, unknown>> }).Condition?.[
    'ForAllValues:StringLike'
  ]?.['dynamodb:LeadingKeys'] ?? 'any';

describe('Stack: ShippingStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    template = testApp.template(testApp.stacks.shipping);
  });

  it('is named after the stage and creates its outbox table and no consumer idempotency table', () => {
    // Prepare
    const { shipping } = testApp.stacks;

    // Act
    const table = resourceOf(template, shipping.shippingTable).Properties;

    // Assess
    expect(shipping.stackName).toBe('OrderSaga-test-Shipping');
    expect(table).toMatchObject({
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    // The consumer's conditional writes are its idempotency: no Powertools record table.
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(shipping.consumer.idempotencyTable).toBeUndefined();
  });

  it('consumes orders.events with its own consumer group and publishes to shipping.events only', () => {
    // Prepare
    const { consumer, outbox } = testApp.stacks.shipping;

    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(consumer.fn) } },
    });
    const relayKafka = JSON.stringify(
      roleStatements(template, outbox.relayFunction).filter((statement) =>
        actionsOf(statement).includes('kafka-cluster:WriteData'),
      ),
    );

    // Assess
    const properties = Object.values(mappings).map((mapping) => mapping.Properties);
    expect(properties).toHaveLength(1);
    expect(properties[0]).toMatchObject({
      Topics: ['orders.events'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'order-saga-shipping-orders.events' },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(relayKafka).toContain('shipping.events');
    expect(relayKafka).not.toContain('orders.events');
  });

  it('gives the consumer its table and the carrier retry setting, and no idempotency table', () => {
    // Prepare
    const { consumer, shippingTable } = testApp.stacks.shipping;

    // Act
    const env = (
      resourceOf(template, consumer.fn).Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    // Assess
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'shipping',
      SHIPPING_TABLE_NAME: { Ref: logicalIdOf(shippingTable) },
      CARRIER_MAX_ATTEMPTS: '3',
    });
    expect(env).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
  });

  it('lets the webhook read and update shipment items only, and read its secret only', () => {
    // Prepare
    const { webhook, webhookSecret, shippingTable } = testApp.stacks.shipping;

    // Act
    const statements = roleStatements(template, webhook);
    const env = (
      resourceOf(template, webhook).Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;

    // Assess
    expect(
      dynamoStatements(statements).map((statement) => [
        actionsOf(statement),
        statement.Resource,
        leadingKeysOf(statement),
      ]),
    ).toEqual([
      [
        ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        { 'Fn::GetAtt': [logicalIdOf(shippingTable), 'Arn'] },
        ['SHIPMENT#*'],
      ],
    ]);
    const secretStatements = statements.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(actionsOf(secretStatements[0] as PolicyStatementJson).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(secretStatements[0]?.Resource).toEqual({ Ref: logicalIdOf(webhookSecret) });
    expect(env).toMatchObject({
      CARRIER_WEBHOOK_SECRET: { Ref: logicalIdOf(webhookSecret) },
      WEBHOOK_TOLERANCE_SECONDS: '300',
    });
  });

  it('serves POST /carrier/webhooks without an authorizer on its own API (the function checks the signature)', () => {
    // Act
    const methods = template.findResources('AWS::ApiGateway::Method');

    // Assess
    const properties = Object.values(methods).map((method) => method.Properties);
    expect(properties).toHaveLength(1);
    expect(properties[0]).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE' });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });
});
