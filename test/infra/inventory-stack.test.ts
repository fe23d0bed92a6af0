import { readFileSync } from 'node:fs';
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
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
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

  it('gives the consumer item access to its own table only (stock lives there), and the dead letters it writes', () => {
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
    expect(env).not.toHaveProperty('PRODUCTS_TABLE_NAME');
    const resources = JSON.stringify(dynamo.map((s) => s.Resource));
    expect(resources).toContain(logicalIdOf(inventoryTable));
    expect(resources).not.toContain(logicalIdOf(productsTable));
    expect(resources).not.toContain('*');
    const writes = dynamo.filter((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
    for (const statement of writes) {
      const onOwn = JSON.stringify(statement.Resource).includes(logicalIdOf(inventoryTable));
      expect(onOwn || JSON.stringify(statement).includes('ATTEMPTS#inventory#*')).toBe(true);
    }
  });

  it('seeds the stock of data/products.json into its own table', () => {
    // Prepare
    const catalog = JSON.parse(
      readFileSync(new URL('../../data/products.json', import.meta.url), 'utf8'),
    ) as {
      productId: string;
      stock: number;
    }[];

    // Act
    const seeds = Object.values(template.findResources('Custom::SeedStock'));
    const handlerEnv = (
      resourceOf(template, testApp.stacks.inventory.stockSeed.handler).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;

    // Assess
    expect(seeds).toHaveLength(1);
    expect(seeds[0]?.Properties.Stock).toEqual(catalog.map(({ productId, stock }) => ({ productId, stock })));
    expect(handlerEnv.INVENTORY_TABLE_NAME).toEqual({
      Ref: logicalIdOf(testApp.stacks.inventory.inventoryTable),
    });
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
