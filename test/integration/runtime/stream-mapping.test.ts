import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import type { OnFailureRecord } from '#localstack/runtime/on-failure';
import { StreamMapping, type StreamMappingDefinition } from '#localstack/runtime/stream-mapping';
import { ROOT } from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

const STUB = join(ROOT, 'test/integration/runtime/fixtures/stream-stub.mjs');

/** An item to write: its key, and the stub's instructions (see stream-stub.mjs). */
interface Item {
  pk: string;
  kind?: string;
  throwTimes?: number;
  reportTimes?: number;
  reportUnknown?: number;
}

function toAttributes(item: Item): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = { pk: { S: item.pk } };
  if (item.kind !== undefined) attributes.kind = { S: item.kind };
  for (const key of ['throwTimes', 'reportTimes', 'reportUnknown'] as const) {
    const value = item[key];
    if (value !== undefined) attributes[key] = { N: String(value) };
  }
  return attributes;
}

const keyOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S;

describe('Class: StreamMapping (DynamoDB Local)', () => {
  let ddb: DynamoDbLocal | undefined;
  let client: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let logs: LogSink;
  const dir = mkdtempSync(join(tmpdir(), 'stream-mapping-'));
  const open: { mapping: StreamMapping; fn: LocalLambda }[] = [];

  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    client = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    streams = new DynamoDBStreamsClient(localDynamoClientConfig(ddb.endpoint));
    logs = new LogSink(join(dir, 'log'), false);
  });

  afterEach(async () => {
    for (const { mapping, fn } of open.splice(0)) {
      await mapping.stop();
      await fn.stop();
    }
  });

  afterAll(async () => {
    client?.destroy();
    streams?.destroy();
    await logs?.close();
    await ddb?.stop();
  });

  const createTable = async (name: string): Promise<string> => {
    const { TableDescription } = await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    const streamArn = TableDescription?.LatestStreamArn;
    if (!streamArn) throw new Error(`Table ${name} has no stream`);
    return streamArn;
  };

  const put = async (table: string, items: Item[]) => {
    // One after another, so that the stream holds them in this order.
    for (const item of items)
      await client.send(new PutItemCommand({ TableName: table, Item: toAttributes(item) }));
  };

  /**
   * Creates a table with a stream, writes `items` to it, and starts a mapping from the start of the
   * stream to a stub function. The mapping's failure records are collected in `failures`.
   */
  const start = async (name: string, items: Item[], overrides: Partial<StreamMappingDefinition> = {}) => {
    const table = overrides.tableName ?? name;
    const streamArn = overrides.streamArn ?? (await createTable(table));
    await put(table, items);
    const recordFile = join(dir, `${name}.jsonl`);
    const fn = new LocalLambda(
      {
        logicalId: name,
        name,
        arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        handlerFile: STUB,
        handlerExport: 'handler',
        environment: { RECORD_FILE: recordFile },
        timeoutMs: 5_000,
        memoryMb: 128,
      },
      logs,
    );
    const failures: OnFailureRecord[] = [];
    const mapping = new StreamMapping(
      {
        logicalId: name,
        fn,
        tableName: table,
        streamArn,
        batchSize: 10,
        maxBatchingWindowMs: 0,
        startingPosition: 'TRIM_HORIZON',
        bisectOnError: false,
        maxRetryAttempts: -1,
        maxRecordAgeSeconds: -1,
        reportBatchItemFailures: false,
        filters: [],
        onFailure: (record) => failures.push(record),
        ...overrides,
      },
      streams,
      logs,
      { pollIntervalMs: 20, retryBaseDelayMs: 10 },
    );
    open.push({ mapping, fn });
    mapping.start();
    /** The batches the function was invoked with, in order. */
    const invocations = (): DynamoDBRecord[][] => {
      let lines: string[];
      try {
        lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        lines = [];
      }
      return lines.map(
        (line) => (JSON.parse(line) as { event: { Records: DynamoDBRecord[] } }).event.Records,
      );
    };
    const keys = () => invocations().map((batch) => batch.map(keyOf));
    return { mapping, fn, failures, invocations, keys };
  };

  it('delivers records in stream order, in batches of at most BatchSize', async () => {
    // Prepare
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((pk) => ({ pk }));

    // Act
    const { keys, invocations } = await start('batching', items, { batchSize: 3 });

    // Assess
    await waitFor(() => keys().flat().length >= 7, { timeoutMs: 20_000, description: '7 records delivered' });
    expect(keys()).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    const [first] = invocations().flat();
    expect(first).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: expect.stringContaining(':table/batching/stream/'),
      dynamodb: {
        Keys: { pk: { S: 'a' } },
        NewImage: { pk: { S: 'a' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(typeof first?.dynamodb?.ApproximateCreationDateTime).toBe('number');
  });

  it('gathers records that arrive within the batching window into one batch', async () => {
    // Prepare
    const { keys } = await start('window', [], { batchSize: 10, maxBatchingWindowMs: 3_000 });

    // Act
    await put('window', [{ pk: 'a' }, { pk: 'b' }, { pk: 'c' }]);

    // Assess
    await waitFor(() => keys().length >= 1, { timeoutMs: 20_000, description: 'one batch delivered' });
    expect(keys()).toEqual([['a', 'b', 'c']]);
  });

  it('delivers only the records that match the filter criteria', async () => {
    // Prepare
    const filters = [{ eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: ['order'] } } } }];
    const items = [
      { pk: 'a', kind: 'order' },
      { pk: 'b', kind: 'other' },
      { pk: 'c', kind: 'order' },
    ];

    // Act
    const { keys, invocations } = await start('filtered', items, { filters });
    await client.send(
      new UpdateItemCommand({
        TableName: 'filtered',
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET note = :note',
        ExpressionAttributeValues: { ':note': { S: 'modified' } },
      }),
    );
    await put('filtered', [{ pk: 'd', kind: 'order' }]);

    // Assess
    await waitFor(() => keys().flat().includes('d'), { timeoutMs: 20_000, description: 'the last record' });
    expect(keys().flat()).toEqual(['a', 'c', 'd']);
    expect(
      invocations()
        .flat()
        .every((record) => record.eventName === 'INSERT'),
    ).toBe(true);
  });

  it('retries a failing batch until the function succeeds when retries are unlimited', async () => {
    // Prepare
    const items = [{ pk: 'a', throwTimes: 2 }];

    // Act
    const { keys, failures } = await start('retried', items);

    // Assess
    await waitFor(() => keys().length >= 3, { timeoutMs: 20_000, description: 'two failures and a success' });
    expect(keys()).toEqual([['a'], ['a'], ['a']]);
    expect(failures).toEqual([]);
  });

  it('bisects a failing batch, retries the failing half up to the limit, then discards only the failing record', async () => {
    // Prepare
    const items = [{ pk: 'a' }, { pk: 'b' }, { pk: 'c', throwTimes: 99 }, { pk: 'd' }];

    // Act
    const { keys, failures, invocations } = await start('bisected', items, {
      batchSize: 4,
      bisectOnError: true,
      maxRetryAttempts: 2,
    });

    // Assess
    await waitFor(() => keys().some((batch) => batch.includes('d') && batch.length === 1), {
      timeoutMs: 20_000,
      description: 'the record after the poison record delivered',
    });
    expect(keys()).toEqual([['a', 'b', 'c', 'd'], ['a', 'b'], ['c', 'd'], ['c'], ['c'], ['d']]);
    const poison = invocations()
      .flat()
      .find((record) => keyOf(record) === 'c');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: {
        batchSize: 1,
        startSequenceNumber: poison?.dynamodb?.SequenceNumber,
        endSequenceNumber: poison?.dynamodb?.SequenceNumber,
      },
    });
  });

  it('retries from the first reported item when the function returns batchItemFailures', async () => {
    // Prepare
    const items = [{ pk: 'a' }, { pk: 'b', reportTimes: 1 }, { pk: 'c' }, { pk: 'd' }];

    // Act
    const { keys, failures } = await start('partial', items, { reportBatchItemFailures: true });

    // Assess
    await waitFor(() => keys().length >= 2, {
      timeoutMs: 20_000,
      description: 'the retry of the reported item',
    });
    expect(keys()).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'c', 'd'],
    ]);
    expect(failures).toEqual([]);
  });

  it('retries the whole batch when batchItemFailures names a record that is not in it', async () => {
    // Prepare
    const items = [{ pk: 'a' }, { pk: 'b', reportUnknown: 1 }, { pk: 'c' }];

    // Act
    const { keys } = await start('malformed', items, { reportBatchItemFailures: true });

    // Assess
    await waitFor(() => keys().length >= 2, { timeoutMs: 20_000, description: 'the retry of the batch' });
    expect(keys()).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('ignores batchItemFailures when the mapping does not report batch item failures', async () => {
    // Prepare
    const items = [{ pk: 'a', reportTimes: 1 }, { pk: 'b' }];

    // Act
    const { keys } = await start('unreported', items);
    await put('unreported', [{ pk: 'c' }]);

    // Assess
    await waitFor(() => keys().flat().includes('c'), { timeoutMs: 20_000, description: 'the later record' });
    expect(keys().flat()).toEqual(['a', 'b', 'c']);
  });

  it('sends a batch to the on-failure destination after the retry limit and goes on with the next', async () => {
    // Prepare
    const items = [{ pk: 'a' }, { pk: 'b', throwTimes: 99 }, { pk: 'c' }];

    // Act
    const { mapping, keys, failures, invocations } = await start('destination', items, {
      batchSize: 2,
      maxRetryAttempts: 1,
    });

    // Assess
    await waitFor(() => keys().some((batch) => batch.includes('c')), {
      timeoutMs: 20_000,
      description: 'the batch after the discarded one',
    });
    expect(keys()).toEqual([['a', 'b'], ['a', 'b'], ['c']]);
    const [a, b] = invocations()[0] ?? [];
    const iso = (seconds: number | undefined) =>
      new Date((seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
    expect(failures).toStrictEqual([
      {
        requestContext: {
          requestId: expect.any(String),
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:destination',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 2,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        DDBStreamBatchInfo: {
          shardId: expect.any(String),
          startSequenceNumber: a?.dynamodb?.SequenceNumber,
          endSequenceNumber: b?.dynamodb?.SequenceNumber,
          approximateArrivalOfFirstRecord: iso(a?.dynamodb?.ApproximateCreationDateTime),
          approximateArrivalOfLastRecord: iso(b?.dynamodb?.ApproximateCreationDateTime),
          batchSize: 2,
          streamArn: mapping.definition.streamArn,
        },
      },
    ]);
    expect(mapping.discarded).toEqual(failures);
  });

  it('discards records older than the maximum record age without invoking the function', async () => {
    // Prepare
    const items = [{ pk: 'a' }];

    // Act
    const { fn, failures } = await start('expired', items, { maxRecordAgeSeconds: 0 });

    // Assess
    await waitFor(() => failures.length >= 1, {
      timeoutMs: 20_000,
      description: 'the expired record discarded',
    });
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      DDBStreamBatchInfo: { batchSize: 1 },
    });
    expect(fn.invocations).toBe(0);
  });

  it('does not poll while disabled, and delivers once enabled', async () => {
    // Prepare
    const control = await start('switched', [{ pk: 'a' }, { pk: 'b' }]);
    const disabled = await start('switched-off', [], {
      tableName: 'switched',
      streamArn: control.mapping.definition.streamArn,
      enabled: false,
    });
    await waitFor(() => control.keys().flat().length >= 2, { timeoutMs: 20_000, description: 'control' });
    expect(disabled.keys()).toEqual([]);
    expect(disabled.mapping.control.state).toBe('Disabled');

    // Act
    await disabled.mapping.setEnabled(true);

    // Assess
    await waitFor(() => disabled.keys().flat().length >= 2, { timeoutMs: 20_000, description: 'delivered' });
    expect(disabled.keys()).toEqual([['a', 'b']]);
  });

  it('stops polling when disabled and goes on after the last finished record when enabled again', async () => {
    // Prepare
    const paused = await start('paused', [{ pk: 'a' }, { pk: 'b' }]);
    await waitFor(() => paused.keys().flat().length >= 2, { timeoutMs: 20_000, description: 'a and b' });
    await paused.mapping.setEnabled(false);
    const control = await start('paused-control', [], {
      tableName: 'paused',
      streamArn: paused.mapping.definition.streamArn,
    });
    await put('paused', [{ pk: 'c' }, { pk: 'd' }]);
    await waitFor(() => control.keys().flat().length >= 4, { timeoutMs: 20_000, description: 'control' });
    expect(paused.keys()).toEqual([['a', 'b']]);

    // Act
    await paused.mapping.setEnabled(true);

    // Assess
    await waitFor(() => paused.keys().flat().length >= 4, { timeoutMs: 20_000, description: 'c and d' });
    expect(paused.keys()).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
