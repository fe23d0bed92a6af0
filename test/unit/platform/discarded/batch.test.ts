import '#test/unit/setup-env';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { MSKRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DiscardedBatchUnreadableError,
  discardedBatchOf,
  discardedRecordId,
  recordDiscardedBatch,
} from '#platform/discarded/batch';
import { sample } from '#test/unit/events/helpers';

const NOW = new Date('2025-03-01T12:30:00.000Z');
const TABLE = 'dead-letters';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

const confirmed = sample('OrderConfirmed');

function mskRecord(offset: number, value: string, partition = 2): MSKRecord {
  return {
    topic: 'orders.events',
    partition,
    offset,
    timestamp: 1_740_830_000_000 + offset,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(confirmed.aggregateId).toString('base64'),
    value: Buffer.from(value).toString('base64'),
    headers: [{ eventId: [...Buffer.from(confirmed.eventId)] }],
  };
}

/** The invocation event of a mapping: records keyed `topic-partition`. */
const invocation = (records: MSKRecord[]) => ({
  eventSource: 'aws:kafka',
  eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/order-saga/abc',
  bootstrapServers: 'b-1:9098',
  records: { 'orders.events-2': records },
});

/** An on-failure record as Lambda writes it to an S3 destination (payload included). */
function onFailureObject(
  records: MSKRecord[],
  range: { first: number; last: number },
  payloadAs: 'string' | 'object' = 'string',
) {
  return {
    requestContext: {
      requestId: '316aa6d0-8154-4f3b-9af7-85d5f4a6bc81',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:notifications-consumer',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 11,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2025-03-01T12:29:59.000Z',
    KafkaBatchInfo: {
      batchSize: range.last - range.first + 1,
      eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/order-saga/abc',
      bootstrapServers: 'b-1:9098',
      payloadSize: 2048,
      recordsInfo: {
        'orders.events-2': {
          firstRecordOffset: String(range.first),
          lastRecordOffset: String(range.last),
          firstRecordTimestamp: '2025-03-01T12:00:00.000Z',
          lastRecordTimestamp: '2025-03-01T12:00:01.000Z',
        },
      },
    },
    payload: payloadAs === 'string' ? JSON.stringify(invocation(records)) : invocation(records),
  };
}

describe('Function: discardedBatchOf', () => {
  it.each(['string', 'object'] as const)(
    'reads the condition, the invoke count and the discarded records of a payload given as %s',
    (payloadAs) => {
      // Prepare
      const records = [mskRecord(7, JSON.stringify(confirmed)), mskRecord(8, 'not json')];

      // Act
      const batch = discardedBatchOf(onFailureObject(records, { first: 7, last: 8 }, payloadAs));

      // Assess
      expect(batch).toEqual({
        condition: 'RetryAttemptsExhausted',
        attempts: 11,
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:notifications-consumer',
        records: { 'orders.events-2': records },
      });
    },
  );

  it('keeps only the records within the discarded offsets', () => {
    // Prepare
    const records = [6, 7, 8].map((offset) => mskRecord(offset, JSON.stringify(confirmed)));

    // Act
    const batch = discardedBatchOf(onFailureObject(records, { first: 7, last: 8 }));

    // Assess
    expect(batch.records['orders.events-2']?.map((record) => record.offset)).toEqual([7, 8]);
  });

  it.each([
    [
      'an SQS-style record without payload',
      { ...onFailureObject([], { first: 1, last: 1 }), payload: undefined },
    ],
    ['a payload that is not JSON', { ...onFailureObject([], { first: 1, last: 1 }), payload: '{oops' }],
    ['a payload without the discarded records', onFailureObject([mskRecord(3, '{}')], { first: 7, last: 8 })],
    ['something else entirely', { hello: 'world' }],
  ])('refuses %s', (_, document) => {
    // Act
    const act = () => discardedBatchOf(document);

    // Assess
    expect(act).toThrow(DiscardedBatchUnreadableError);
  });
});

describe('Function: discardedRecordId', () => {
  it('is a ULID of the record time, the same for the same record and different for another', () => {
    // Prepare
    const at = (offset: string) => ({
      record: { topic: 'orders.events', partition: 2, offset, key: 'k', headers: {} },
      value: '',
    });

    // Act
    const first = discardedRecordId('notifications', at('7'), 1_740_830_000_007);
    const again = discardedRecordId('notifications', at('7'), 1_740_830_000_007);
    const other = discardedRecordId('notifications', at('8'), 1_740_830_000_007);

    // Assess
    expect(first).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe('Function: recordDiscardedBatch', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('writes one dead letter per discarded record with its value, key and why it was discarded', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    const value = JSON.stringify(confirmed);
    const batch = discardedBatchOf(
      onFailureObject([mskRecord(7, value), mskRecord(8, 'not json')], { first: 7, last: 8 }),
    );

    // Act
    const outcome = await recordDiscardedBatch(client, TABLE, 'notifications', batch, NOW);

    // Assess
    expect(outcome).toEqual({ written: 2, duplicates: 0 });
    const items = ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items[0]).toMatchObject({
      service: 'notifications',
      topic: 'orders.events',
      partition: 2,
      offset: '7',
      key: confirmed.aggregateId,
      rawValue: value,
      eventId: confirmed.eventId,
      eventType: 'OrderConfirmed',
      aggregateId: confirmed.aggregateId,
      errorKind: 'HANDLER_FAILED',
      errorCode: 'RetryAttemptsExhausted',
      attempts: 11,
      status: 'OPEN',
    });
    expect(items[1]).toMatchObject({
      offset: '8',
      rawValue: 'not json',
      errorCode: 'RetryAttemptsExhausted',
    });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(pk)',
    );
  });

  it('counts records recorded before as duplicates, so the same object can be recorded twice', async () => {
    // Prepare
    ddb
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }))
      .resolves({});
    const batch = discardedBatchOf(
      onFailureObject([mskRecord(7, JSON.stringify(confirmed)), mskRecord(8, '{}')], { first: 7, last: 8 }),
    );

    // Act
    const outcome = await recordDiscardedBatch(client, TABLE, 'notifications', batch, NOW);

    // Assess
    expect(outcome).toEqual({ written: 1, duplicates: 1 });
  });
});
