import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDbLocal,
  EngineUnavailableError,
  getFreePort,
  localDynamoClientConfig,
} from '#localstack/engines/index';
import { probePort, processExists } from '#test/helpers/net';
import { waitFor } from '#test/helpers/wait';

const TABLE = 'orders';

describe('Class: DynamoDbLocal', () => {
  let ddb: DynamoDbLocal | undefined;
  let client: DynamoDBClient;

  const engine = (): DynamoDbLocal => {
    if (!ddb) throw new Error('DynamoDB Local did not start');
    return ddb;
  };

  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    client = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
  });

  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });

  it('listens on 127.0.0.1 on the port it reports', () => {
    // Prepare
    const { endpoint, port } = engine();

    // Act
    const url = new URL(endpoint);

    // Assess
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(port);
    expect(port).toBeGreaterThan(0);
  });

  it('creates a table with a NEW_IMAGE stream that records inserts', async () => {
    // Prepare
    const streams = new DynamoDBStreamsClient(localDynamoClientConfig(engine().endpoint));
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
      const streamArn = Table?.LatestStreamArn;

      // Act
      await client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'ORDER#stream-1' }, sk: { S: 'ORDER' }, status: { S: 'PLACED' } },
        }),
      );

      // Assess
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      expect(streamArn).toBeDefined();
      const record = await waitFor(
        async () => {
          const { StreamDescription } = await streams.send(
            new DescribeStreamCommand({ StreamArn: streamArn }),
          );
          for (const shard of StreamDescription?.Shards ?? []) {
            const { ShardIterator } = await streams.send(
              new GetShardIteratorCommand({
                StreamArn: streamArn,
                ShardId: shard.ShardId,
                ShardIteratorType: 'TRIM_HORIZON',
              }),
            );
            const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator }));
            const found = Records?.find((r) => r.dynamodb?.Keys?.pk?.S === 'ORDER#stream-1');
            if (found) return found;
          }
          return undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100, description: 'stream record of ORDER#stream-1' },
      );
      expect(record.eventName).toBe('INSERT');
      expect(record.dynamodb?.StreamViewType).toBe('NEW_IMAGE');
      expect(record.dynamodb?.NewImage?.status).toEqual({ S: 'PLACED' });
    } finally {
      streams.destroy();
    }
  });

  it('rejects a conditional put on an existing item with ConditionalCheckFailedException', async () => {
    // Prepare
    const item = { pk: { S: 'ORDER#cond-1' }, sk: { S: 'ORDER' }, version: { N: '1' } };
    await client.send(new PutItemCommand({ TableName: TABLE, Item: item }));

    // Act
    const attempt = client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { ...item, version: { N: '2' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
    );
    expect(Item?.version).toEqual({ N: '1' });
  });

  it('writes nothing when one condition of a TransactWriteItems fails', async () => {
    // Prepare
    const existing = { pk: { S: 'IDEMPOTENCY#tx-1' }, sk: { S: 'IDEMPOTENCY' } };
    await client.send(new PutItemCommand({ TableName: TABLE, Item: existing }));
    const orderKey = { pk: { S: 'ORDER#tx-1' }, sk: { S: 'ORDER' } };

    // Act
    const attempt = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { ...orderKey, status: { S: 'PLACED' } } } },
          {
            Put: {
              TableName: TABLE,
              Item: existing,
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );

    // Assess
    const error = await attempt.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: orderKey, ConsistentRead: true }),
    );
    expect(Item).toBeUndefined();
  });
});

describe('Class: DynamoDbLocal (lifecycle)', () => {
  const started: DynamoDbLocal[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((instance) => instance.stop()));
  });

  it('starts on the requested port, and after stop the process is gone and the port refuses connections', async () => {
    // Prepare
    const port = await getFreePort();
    const ddb = await DynamoDbLocal.start({ port });
    started.push(ddb);
    const pid = ddb.pid;
    if (pid === undefined) throw new Error('DynamoDB Local reported no process id');
    const acceptedWhileRunning = await probePort(port);

    // Act
    await ddb.stop();

    // Assess
    expect(ddb.port).toBe(port);
    expect(acceptedWhileRunning).toBe('accepted');
    expect(processExists(pid)).toBe(false);
    expect(await probePort(port)).toBe('refused');
  });

  it('throws EngineUnavailableError naming Java 17 when java is not on PATH', async () => {
    // Prepare
    const originalPath = process.env.PATH;
    process.env.PATH = '/nonexistent';

    // Act
    let error: unknown;
    try {
      started.push(await DynamoDbLocal.start());
    } catch (caught) {
      error = caught;
    } finally {
      process.env.PATH = originalPath;
    }

    // Assess
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect((error as Error).message).toContain('openjdk-17-jre-headless');
  });
});
