import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  buildTestApp,
  logicalIdOf,
  resourceOf,
  roleStatements,
  type TestApp,
} from './app-fixture';

let testApp: TestApp;
let template: Template;

describe('Stack: InventoryStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    template = testApp.template(testApp.stacks.inventory);
  });

  it('creates the inventory table like every outbox table: stream, TTL, PITR, on demand, unpublished index', () => {
    // Prepare
    const { inventoryTable } = testApp.stacks.inventory;

    // Act
    const table = resourceOf(template, inventoryTable).Properties;

    // Assess
    expect(table).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
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
  });

  it('consumes orders.events with its own consumer group', () => {
    // Prepare
    const { consumer } = testApp.stacks.inventory;

    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(consumer.fn) } },
    });

    // Assess
    const properties = Object.values(mappings).map((mapping) => mapping.Properties);
    expect(properties).toHaveLength(1);
    expect(properties[0]).toMatchObject({
      Topics: ['orders.events'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'order-saga-inventory-orders.events' },
      BatchSize: 50,
    });
  });

  it('gives the consumer its table names and item access to exactly the inventory and products tables', () => {
    // Prepare
    const { consumer, inventoryTable } = testApp.stacks.inventory;
    const { productsTable } = testApp.stacks.orders;

    // Act
    const env = (
      resourceOf(template, consumer.fn).Properties.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const dynamo = roleStatements(template, consumer.fn).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );

    // Assess
    expect(env.INVENTORY_TABLE_NAME).toEqual({ Ref: logicalIdOf(inventoryTable) });
    expect(JSON.stringify(env.PRODUCTS_TABLE_NAME)).toMatch(/ImportValue/);
    expect(JSON.stringify(env.PRODUCTS_TABLE_NAME)).toContain(logicalIdOf(productsTable));
    const resources = JSON.stringify(dynamo.map((s) => s.Resource));
    expect(resources).toContain(logicalIdOf(inventoryTable));
    expect(resources).toContain(logicalIdOf(productsTable));
    expect(resources).not.toContain('*');
    const writable = JSON.stringify(
      dynamo.filter((s) => actionsOf(s).includes('dynamodb:UpdateItem')).map((s) => s.Resource),
    );
    expect(writable).toContain(logicalIdOf(inventoryTable));
    expect(writable).toContain(logicalIdOf(productsTable));
  });

  it('publishes its outbox with a relay and a sweeper on its own table', () => {
    // Prepare
    const { outbox, inventoryTable } = testApp.stacks.inventory;

    // Act
    const mapping = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(outbox.relayFunction) } },
    });

    // Assess
    expect(Object.values(mapping)[0]?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(inventoryTable), 'StreamArn'] },
    });
  });

  it('alarms on consumer errors, dead letters and the outbox', () => {
    // Prepare
    const { alarms } = testApp.stacks.inventory;

    // Act
    const descriptions = alarms.map((alarm) => resourceOf(template, alarm).Properties.AlarmDescription);

    // Assess
    expect(descriptions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^inventory-consumer: invocations fail/),
        expect.stringMatching(/^inventory consumer: records were dead-lettered/),
        expect.stringMatching(/^inventory outbox: the relay/),
      ]),
    );
  });
});
