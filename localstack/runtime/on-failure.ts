import { randomUUID } from 'node:crypto';
import type { LogSink } from './logs';

/** Why an event source mapping gave up on a batch. */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** The part of an on-failure record that describes a discarded DynamoDB stream batch. */
export type StreamBatchInfo = {
  shardId: string;
  startSequenceNumber: string | undefined;
  endSequenceNumber: string | undefined;
  approximateArrivalOfFirstRecord: number | undefined;
  approximateArrivalOfLastRecord: number | undefined;
  batchSize: number;
  streamArn: string;
};

/** The part of an on-failure record that describes a discarded Kafka batch. */
export type KafkaBatchInfo = {
  batchSize: number;
  topic: string | undefined;
  partition: number | undefined;
  startOffset: number | undefined;
  endOffset: number | undefined;
  approximateArrivalOfFirstRecord: number | undefined;
  approximateArrivalOfLastRecord: number | undefined;
  eventSourceArn: string;
};

/** Where the batch came from: exactly one of the two source-specific blocks. */
export type BatchInfo = { DDBStreamBatchInfo: StreamBatchInfo } | { KafkaBatchInfo: KafkaBatchInfo };

/**
 * What a mapping sends to its on-failure destination (an SQS queue in the template) for a batch it
 * gave up on: an invocation record that points at the records instead of carrying them.
 */
export type OnFailureRecord = {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
} & BatchInfo;

/** Receives the on-failure records of one mapping (the runtime puts them on the local queue). */
export type OnFailureDestination = (record: OnFailureRecord) => void;

export interface DiscardedBatch {
  condition: FailureCondition;
  /** Invocations of the function with (part of) this batch, 0 when it expired before the first. */
  attempts: number;
  batchSize: number;
  batchInfo: BatchInfo;
}

/** Builds the on-failure record of a discarded batch. */
export function onFailureRecord(
  functionArn: string,
  { condition, attempts, batchInfo }: DiscardedBatch,
  now: Date = new Date(),
): OnFailureRecord {
  return {
    version: '1.0',
    timestamp: now.toISOString(),
    requestContext: { requestId: randomUUID(), functionArn, condition, approximateInvokeCount: attempts },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    ...batchInfo,
  };
}

/**
 * The on-failure side of one event source mapping, shared by the DynamoDB stream and the Kafka
 * mappings: keeps every record it sent (`sent`), writes a log line, and hands the record to the
 * destination when the mapping has one.
 */
export class OnFailure {
  readonly sent: OnFailureRecord[] = [];

  constructor(
    private readonly mapping: { logSource: string; logicalId: string; functionArn: string },
    private readonly logs: LogSink,
    private readonly destination: OnFailureDestination | undefined,
  ) {}

  discard(batch: DiscardedBatch): OnFailureRecord {
    const record = onFailureRecord(this.mapping.functionArn, batch);
    this.sent.push(record);
    this.logs.write(
      this.mapping.logSource,
      `${this.mapping.logicalId}: discarded ${batch.batchSize} record(s) after ${batch.attempts} attempt(s): ${batch.condition}`,
    );
    this.destination?.(record);
    return record;
  }
}
