import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { InvokeResult, LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import type { OnFailureRecord } from '#localstack/runtime/on-failure';
import { StreamMapping } from '#localstack/runtime/stream-mapping';
import { waitFor } from '#test/helpers/wait';

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/outbox/stream/local';

const streamRecord = (pk: string, sequence: string, created: Date): StreamRecord => ({
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    ApproximateCreationDateTime: created,
    Keys: { pk: { S: pk } },
    NewImage: { pk: { S: pk } },
    SequenceNumber: sequence,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
});

/** A one-shard stream that returns `records` on the first read and nothing after. */
function fakeStreams(records: StreamRecord[]): DynamoDBStreamsClient {
  let served = false;
  return {
    send: async (command: unknown) => {
      if (command instanceof DescribeStreamCommand)
        return { StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } };
      if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'iterator' };
      if (command instanceof GetRecordsCommand) {
        const page = served ? [] : records;
        served = true;
        return { Records: page, NextShardIterator: 'iterator' };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  } as unknown as DynamoDBStreamsClient;
}

/** A function that records the keys of every batch and succeeds. */
function fakeFunction() {
  const batches: (string | undefined)[][] = [];
  const fn = {
    definition: { arn: 'arn:aws:lambda:us-east-1:000000000000:function:relay' },
    invoke: async (event: DynamoDBStreamEvent): Promise<InvokeResult> => {
      batches.push(event.Records.map((record) => record.dynamodb?.Keys?.pk?.S));
      return { ok: true, payload: null };
    },
  } as unknown as LocalLambda;
  return { fn, batches };
}

describe('Class: StreamMapping', () => {
  const open: StreamMapping[] = [];

  afterEach(async () => {
    for (const mapping of open.splice(0)) await mapping.stop();
  });

  it('drops only the records past the maximum record age and delivers the rest of the batch', async () => {
    // Prepare
    const hourAgo = new Date(Date.now() - 3_600_000);
    const streams = fakeStreams([
      streamRecord('a', '100', hourAgo),
      streamRecord('b', '200', new Date()),
      streamRecord('c', '300', new Date()),
    ]);
    const { fn, batches } = fakeFunction();
    const failures: OnFailureRecord[] = [];
    const mapping = new StreamMapping(
      {
        logicalId: 'Relay',
        fn,
        tableName: 'outbox',
        streamArn: STREAM_ARN,
        batchSize: 10,
        maxBatchingWindowMs: 0,
        startingPosition: 'TRIM_HORIZON',
        bisectOnError: false,
        maxRetryAttempts: -1,
        maxRecordAgeSeconds: 60,
        reportBatchItemFailures: false,
        filters: [],
        onFailure: (record) => failures.push(record),
      },
      streams,
      new LogSink(undefined, false),
      { pollIntervalMs: 10, retryBaseDelayMs: 10 },
    );
    open.push(mapping);

    // Act
    mapping.start();

    // Assess
    await waitFor(() => batches.length >= 1 && failures.length >= 1, { description: 'delivery and discard' });
    expect(batches).toEqual([['b', 'c']]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toHaveProperty('responseContext');
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      DDBStreamBatchInfo: {
        shardId: 'shard-1',
        startSequenceNumber: '100',
        endSequenceNumber: '100',
        approximateArrivalOfFirstRecord: new Date(Math.floor(hourAgo.getTime() / 1000) * 1000)
          .toISOString()
          .replace('.000Z', 'Z'),
        batchSize: 1,
        streamArn: STREAM_ARN,
      },
    });
  });
});
