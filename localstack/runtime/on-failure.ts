import { randomUUID } from 'node:crypto';
import type { LogSink } from './logs';

/** Why an event source mapping gave up on records. */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * The part of an on-failure record that describes discarded DynamoDB stream records, as Lambda sends it
 * to an SQS or SNS destination: times are ISO 8601 strings in whole seconds (`2019-11-14T00:13:19Z`).
 */
export type StreamBatchInfo = {
  shardId: string;
  startSequenceNumber: string | undefined;
  endSequenceNumber: string | undefined;
  approximateArrivalOfFirstRecord: string | undefined;
  approximateArrivalOfLastRecord: string | undefined;
  batchSize: number;
  streamArn: string;
};

/** Where the discarded records of one topic partition are: offsets as strings, times as ISO 8601. */
export type KafkaRecordsInfo = {
  firstRecordOffset: string;
  lastRecordOffset: string;
  firstRecordTimestamp: string;
  lastRecordTimestamp: string;
};

/**
 * The part of an on-failure record that describes discarded Kafka records, as Lambda sends it to an
 * SQS or SNS destination: `recordsInfo` is keyed `topic-partition` like the event's `records`.
 */
export type KafkaBatchInfo = {
  batchSize: number;
  eventSourceArn: string;
  bootstrapServers: string;
  /** Bytes of the invocation payload that carried (or would have carried) the records. */
  payloadSize: number;
  recordsInfo: Record<string, KafkaRecordsInfo>;
};

/** Where the batch came from: exactly one of the two source-specific blocks. */
export type BatchInfo = { DDBStreamBatchInfo: StreamBatchInfo } | { KafkaBatchInfo: KafkaBatchInfo };

/** How the last invocation with the records ended, as `responseContext` reports it. */
export type ResponseContext = {
  statusCode: number;
  executedVersion: string;
  /** `Unhandled` when the function failed; absent when it returned a partial batch response. */
  functionError?: string;
};

/**
 * What a mapping sends to its on-failure destination (an SQS queue in the template) for records it
 * gave up on: an invocation record that points at the records instead of carrying them.
 * `responseContext` is absent when the records were never part of an invocation.
 */
export type OnFailureRecord = {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext?: ResponseContext;
  version: '1.0';
  timestamp: string;
} & BatchInfo;

/**
 * Receives the on-failure records of one mapping: the runtime puts them on the local queue, or, for
 * an S3 destination, writes them as objects with `payload` (the invocation event that carried, or
 * would have carried, the discarded records).
 */
export type OnFailureDestination = (record: OnFailureRecord, payload: unknown) => void;

export interface DiscardedBatch {
  condition: FailureCondition;
  /** Invocations of the function with (part of) these records, 0 when they expired before the first. */
  attempts: number;
  batchSize: number;
  batchInfo: BatchInfo;
  /** How the last invocation ended: a function error, or a partial batch response naming the records. */
  lastOutcome?: 'FunctionError' | 'PartialFailure';
  /** The invocation event of the discarded records (what an S3 destination keeps). */
  payload?: unknown;
}

/** An ISO 8601 time in whole seconds, as Lambda writes stream arrival times (`2019-11-14T00:13:19Z`). */
export function isoSeconds(epochSeconds: number | undefined): string | undefined {
  if (epochSeconds === undefined || !Number.isFinite(epochSeconds)) return undefined;
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Builds the on-failure record of discarded records. */
export function onFailureRecord(
  functionArn: string,
  { condition, attempts, batchInfo, lastOutcome }: DiscardedBatch,
  now: Date = new Date(),
): OnFailureRecord {
  const invoked = attempts > 0;
  return {
    requestContext: { requestId: randomUUID(), functionArn, condition, approximateInvokeCount: attempts },
    ...(invoked
      ? {
          responseContext: {
            statusCode: 200,
            executedVersion: '$LATEST',
            ...(lastOutcome === 'PartialFailure' ? {} : { functionError: 'Unhandled' }),
          },
        }
      : {}),
    version: '1.0',
    timestamp: now.toISOString(),
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
    this.destination?.(record, batch.payload);
    return record;
  }
}
