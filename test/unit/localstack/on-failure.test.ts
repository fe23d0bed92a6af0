import { describe, expect, it, vi } from 'vitest';
import { LogSink } from '#localstack/runtime/logs';
import {
  type DiscardedBatch,
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
  approximateArrivalOfFirstRecord: 1_700_000_000,
  approximateArrivalOfLastRecord: 1_700_000_001,
  batchSize: 2,
  streamArn: STREAM_ARN,
};

const streamBatch: DiscardedBatch = {
  condition: 'RetryAttemptsExhausted',
  attempts: 3,
  batchSize: 2,
  batchInfo: { DDBStreamBatchInfo: streamInfo },
};

describe('Function: onFailureRecord', () => {
  it('wraps the batch info of a stream batch in the invocation record envelope', () => {
    // Prepare
    const now = new Date('2026-01-02T03:04:05.000Z');

    // Act
    const record = onFailureRecord(FUNCTION_ARN, streamBatch, now);

    // Assess
    expect(record).toEqual({
      version: '1.0',
      timestamp: '2026-01-02T03:04:05.000Z',
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: FUNCTION_ARN,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      DDBStreamBatchInfo: streamInfo,
    });
  });

  it('carries the Kafka batch info of a Kafka batch instead', () => {
    // Prepare
    const kafkaInfo = {
      batchSize: 1,
      topic: 'orders.events',
      partition: 2,
      startOffset: 7,
      endOffset: 7,
      approximateArrivalOfFirstRecord: 1_700_000_000_000,
      approximateArrivalOfLastRecord: 1_700_000_000_000,
      eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/1',
    };

    // Act
    const record = onFailureRecord(FUNCTION_ARN, {
      condition: 'RetryAttemptsExhausted',
      attempts: 1,
      batchSize: 1,
      batchInfo: { KafkaBatchInfo: kafkaInfo },
    });

    // Assess
    expect(record).toMatchObject({
      KafkaBatchInfo: kafkaInfo,
      requestContext: { approximateInvokeCount: 1 },
    });
    expect(record).not.toHaveProperty('DDBStreamBatchInfo');
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
