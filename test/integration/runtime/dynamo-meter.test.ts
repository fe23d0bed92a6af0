import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { DynamoMeter, itemSize, type MeteredTable } from '#localstack/runtime/dynamo-meter';

const TABLES: Record<string, MeteredTable> = {
  'meter-orders': { logicalId: 'OrdersTable', kind: 'service' },
  'meter-idempotency': { logicalId: 'IdempotencyTable', kind: 'idempotency' },
  'meter-psp': { logicalId: 'MockPspTable', kind: 'external' },
};

describe('Class: DynamoMeter (DynamoDB Local)', () => {
  let ddb: DynamoDbLocal | undefined;
  let meter: DynamoMeter | undefined;
  let client: DynamoDBClient;

  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    meter = new DynamoMeter(ddb.endpoint, (name) => TABLES[name]);
    client = new DynamoDBClient({ ...localDynamoClientConfig(await meter.start()), maxAttempts: 1 });
    await client.send(
      new CreateTableCommand({
        TableName: 'meter-orders',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'unpublishedShard', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'unpublished',
            KeySchema: [
              { AttributeName: 'unpublishedShard', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
    for (const TableName of ['meter-idempotency', 'meter-psp']) {
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        }),
      );
    }
  });

  afterAll(async () => {
    client?.destroy();
    await meter?.stop();
    await ddb?.stop();
  });

  const measure = async (act: () => Promise<unknown>) => {
    if (!meter) throw new Error('meter not started');
    const before = meter.snapshot();
    await act();
    return meter.since(before);
  };

  it('bills a transaction at 2 units per item on the table and 1 per index write, split by purpose', async () => {
    // Prepare
    await client.send(
      new PutItemCommand({ TableName: 'meter-orders', Item: { pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' } } }),
    );

    // Act: the state change and its outbox row, as every service writes them
    const usage = await measure(() =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: 'meter-orders',
                Key: { pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' } },
                UpdateExpression: 'SET #s = :s',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':s': { S: 'CONFIRMED' } },
              },
            },
            {
              Put: {
                TableName: 'meter-orders',
                Item: { pk: { S: 'OUTBOX#1' }, sk: { S: 'E1' }, unpublishedShard: { S: '3' } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      ),
    );

    // Assess
    expect(usage.units).toEqual({ write: 5, read: 0 });
    expect(usage.byTable).toEqual({
      OrdersTable: { write: 4, read: 0 },
      'OrdersTable/unpublished': { write: 1, read: 0 },
    });
    expect(usage.byPurpose).toEqual({ business: { write: 2, read: 0 }, outbox: { write: 3, read: 0 } });
    expect(usage.itemWrites).toBe(2);
  });

  it('bills the relay marking a row published, index removal included, as relay-mark', async () => {
    // Prepare
    await client.send(
      new PutItemCommand({
        TableName: 'meter-orders',
        Item: { pk: { S: 'OUTBOX#2' }, sk: { S: 'E2' }, unpublishedShard: { S: '1' } },
      }),
    );

    // Act
    const usage = await measure(() =>
      client.send(
        new UpdateItemCommand({
          TableName: 'meter-orders',
          Key: { pk: { S: 'OUTBOX#2' }, sk: { S: 'E2' } },
          UpdateExpression: 'SET publishedAt = :now REMOVE unpublishedShard',
          ExpressionAttributeValues: { ':now': { S: '2026-12-02T00:00:00Z' } },
        }),
      ),
    );

    // Assess
    expect(usage.byPurpose).toEqual({ 'relay-mark': { write: 2, read: 0 } });
    expect(usage.byTable['OrdersTable/unpublished']).toEqual({ write: 1, read: 0 });
  });

  it('takes the capacity report out of responses whose caller did not ask for one', async () => {
    // Act
    const unasked = await client.send(
      new PutItemCommand({ TableName: 'meter-idempotency', Item: { id: { S: 'a' } } }),
    );
    const asked = await client.send(
      new PutItemCommand({
        TableName: 'meter-idempotency',
        Item: { id: { S: 'b' } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );

    // Assess
    expect(unasked.ConsumedCapacity).toBeUndefined();
    expect(asked.ConsumedCapacity).toMatchObject({ TableName: 'meter-idempotency', CapacityUnits: 1 });
  });

  it('passes on a large response DynamoDB Local sends in chunks, with the capacity report taken out', async () => {
    // Prepare: enough data that the answer to one Query is sent with chunked transfer encoding.
    const padding = 'x'.repeat(3_000);
    for (let i = 0; i < 60; i++) {
      await client.send(
        new PutItemCommand({
          TableName: 'meter-orders',
          Item: { pk: { S: 'LARGE' }, sk: { S: String(i).padStart(3, '0') }, padding: { S: padding } },
        }),
      );
    }

    // Act
    const page = await client.send(
      new QueryCommand({
        TableName: 'meter-orders',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'LARGE' } },
      }),
    );

    // Assess
    expect(page.Items).toHaveLength(60);
    expect(page.ConsumedCapacity).toBeUndefined();
  });

  it('bills a refused conditional write one unit, and writes nothing', async () => {
    // Prepare
    await client.send(new PutItemCommand({ TableName: 'meter-idempotency', Item: { id: { S: 'taken' } } }));

    // Act
    let refused: unknown;
    const usage = await measure(async () => {
      refused = await client
        .send(
          new PutItemCommand({
            TableName: 'meter-idempotency',
            Item: { id: { S: 'taken' }, extra: { S: 'x' } },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        )
        .catch((error: unknown) => error);
    });

    // Assess
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect(usage.byPurpose).toEqual({ idempotency: { write: 1, read: 0 } });
    expect(usage.failedConditionalWrites).toBe(1);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'meter-idempotency', Key: { id: { S: 'taken' } } }),
    );
    expect(Item?.extra).toBeUndefined();
  });

  it('bills reads in half units when eventually consistent, and keeps external tables off the total', async () => {
    // Act
    const usage = await measure(async () => {
      await client.send(new GetItemCommand({ TableName: 'meter-idempotency', Key: { id: { S: 'a' } } }));
      await client.send(new PutItemCommand({ TableName: 'meter-psp', Item: { id: { S: 'p' } } }));
    });

    // Assess
    expect(usage.units).toEqual({ write: 0, read: 0.5 });
    expect(usage.byPurpose.external).toEqual({ write: 1, read: 0 });
  });

  it('bills by size: a 3 KB item costs 3 units', async () => {
    // Prepare
    const Item = { id: { S: 'big' }, body: { S: 'x'.repeat(2900) } };

    // Act
    const usage = await measure(() =>
      client.send(new PutItemCommand({ TableName: 'meter-idempotency', Item })),
    );

    // Assess
    expect(itemSize(Item)).toBeGreaterThan(2048);
    expect(usage.units.write).toBe(3);
  });
});
