import { describe, expect, it, vi } from 'vitest';
import { LogSink } from '#localstack/runtime/logs';
import {
  type DiscardedBatch,
  isoSeconds,
  type KafkaBatchInfo,
  OnFailure,
  type OnFailureRecord,
  onFailureRecord,
  type StreamBatchInfo,
} from '#localstack/runtime/on-failure';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:relay';
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/outbox/stream/local';

const streamInfo: StreamBatchInfo = {
  shardId: 'shard-1',
  startSequenceNumber: '100',
  endSequenceNumber: '200',
  approximateArrivalOfFirstRecord: '2023-11-14T22:13:20Z',
  approximateArrivalOfLastRecord: '2023-11-14T22:13:21Z',
  batchSize: 2,
  streamArn: STREAM_ARN,
};

const streamBatch: DiscardedBatch = {
  condition: 'RetryAttemptsExhausted',
  attempts: 3,
  batchSize: 2,
  lastOutcome: 'FunctionError',
  batchInfo: { DDBStreamBatchInfo: streamInfo },
};

describe('Function: isoSeconds', () => {
  it('writes epoch seconds as an ISO 8601 time in whole seconds, as Lambda does for stream arrivals', () => {
    // Act
    const text = isoSeconds(1_700_000_000.75);

    // Assess
    expect(text).toBe('2023-11-14T22:13:20Z');
  });

  it('leaves an unknown time undefined', () => {
    // Act
    const text = isoSeconds(undefined);

    // Assess
    expect(text).toBeUndefined();
  });
});

describe('Function: onFailureRecord', () => {
  it('builds the documented invocation record of a stream batch, field for field', () => {
    // Prepare
    const now = new Date('2026-01-02T03:04:05.000Z');

    // Act
    const record = onFailureRecord(FUNCTION_ARN, streamBatch, now);

    // Assess
    expect(record).toStrictEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: FUNCTION_ARN,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-01-02T03:04:05.000Z',
      DDBStreamBatchInfo: streamInfo,
    });
    expect(Object.keys(record)).toEqual([
      'requestContext',
      'responseContext',
      'version',
      'timestamp',
      'DDBStreamBatchInfo',
    ]);
  });

  it('carries the documented KafkaBatchInfo of a Kafka batch instead', () => {
    // Prepare
    const kafkaInfo: KafkaBatchInfo = {
      batchSize: 3,
      eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/1',
      bootstrapServers: '127.0.0.1:9092',
      payloadSize: 1_162,
      recordsInfo: {
        'orders.events-2': {
          firstRecordOffset: '7',
          lastRecordOffset: '8',
          firstRecordTimestamp: '2026-01-02T03:04:04.835Z',
          lastRecordTimestamp: '2026-01-02T03:04:05.580Z',
        },
        'orders.events-0': {
          firstRecordOffset: '3',
          lastRecordOffset: '3',
          firstRecordTimestamp: '2026-01-02T03:04:04.000Z',
          lastRecordTimestamp: '2026-01-02T03:04:04.000Z',
        },
      },
    };

    // Act
    const record = onFailureRecord(FUNCTION_ARN, {
      condition: 'RetryAttemptsExhausted',
      attempts: 11,
      batchSize: 3,
      lastOutcome: 'FunctionError',
      batchInfo: { KafkaBatchInfo: kafkaInfo },
    });

    // Assess
    expect(record).toMatchObject({
      KafkaBatchInfo: kafkaInfo,
      requestContext: { approximateInvokeCount: 11 },
    });
    expect(record).not.toHaveProperty('DDBStreamBatchInfo');
  });

  it('leaves out functionError after a partial batch response', () => {
    // Act
    const record = onFailureRecord(FUNCTION_ARN, { ...streamBatch, lastOutcome: 'PartialFailure' });

    // Assess
    expect(record.responseContext).toStrictEqual({ statusCode: 200, executedVersion: '$LATEST' });
  });

  it('has no responseContext for records that expired before any invocation', () => {
    // Act
    const record = onFailureRecord(FUNCTION_ARN, {
      ...streamBatch,
      condition: 'RecordAgeExceeded',
      attempts: 0,
      lastOutcome: undefined,
    });

    // Assess
    expect(record).not.toHaveProperty('responseContext');
    expect(record.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
  });
});

describe('Class: OnFailure', () => {
  it('keeps, logs and sends the record of a discarded batch to the destination', () => {
    // Prepare
    const logs = new LogSink(undefined, false);
    const write = vi.spyOn(logs, 'write');
    const sent: OnFailureRecord[] = [];
    const onFailure = new OnFailure(
      { logSource: 'stream-mapping', logicalId: 'Relay', functionArn: FUNCTION_ARN },
      logs,
      (record) => sent.push(record),
    );

    // Act
    const record = onFailure.discard({ ...streamBatch, condition: 'RecordAgeExceeded', attempts: 0 });

    // Assess
    expect(sent).toEqual([record]);
    expect(onFailure.sent).toEqual([record]);
    expect(record.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(write).toHaveBeenCalledWith(
      'stream-mapping',
      'Relay: discarded 2 record(s) after 0 attempt(s): RecordAgeExceeded',
    );
  });

  it('keeps the record when the mapping has no destination', () => {
    // Prepare
    const onFailure = new OnFailure(
      { logSource: 'kafka-mapping', logicalId: 'Saga', functionArn: FUNCTION_ARN },
      new LogSink(undefined, false),
      undefined,
    );

    // Act
    onFailure.discard(streamBatch);

    // Assess
    expect(onFailure.sent).toHaveLength(1);
  });
});
