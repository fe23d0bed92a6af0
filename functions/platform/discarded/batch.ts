import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MSKRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { parseEvent } from '#events';
import { DeadLetterStore } from '../consumer/dead-letters';
import { type DecodedRecord, decodeMskEvent } from '../consumer/records';
import { PermanentError } from '../errors';
import { logger } from '../powertools';

/** What an MSK event source mapping gave up on, read from the object it wrote to its S3 destination. */
export interface DiscardedBatch {
  /** Why: `RetryAttemptsExhausted`, `RecordAgeExceeded`, ... */
  condition: string;
  /** Invocations with the records (0 when they expired before the first). */
  attempts: number;
  functionArn: string;
  /** The discarded records, partition by partition, each in offset order, as the MSK event carries them. */
  records: Record<string, MSKRecord[]>;
}

/** The object is not an on-failure record with its payload; nothing can be recorded from it. */
export class DiscardedBatchUnreadableError extends PermanentError {
  readonly code = 'DISCARDED_BATCH_UNREADABLE';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The invocation event an S3 on-failure record carries: a JSON string or an object. */
function payloadOf(document: Record<string, unknown>): Record<string, unknown> {
  let payload = document.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload) as unknown;
    } catch (cause) {
      throw new DiscardedBatchUnreadableError('The payload of the on-failure record is not JSON', { cause });
    }
  }
  if (!isObject(payload) || !isObject(payload.records)) {
    throw new DiscardedBatchUnreadableError(
      'The on-failure record carries no payload with records (only an S3 destination keeps the records; SQS and SNS get offsets)',
    );
  }
  return payload;
}

const offsetWithin = (offset: unknown, first: unknown, last: unknown): boolean => {
  try {
    const value = BigInt(String(offset));
    return value >= BigInt(String(first)) && value <= BigInt(String(last));
  } catch {
    return false;
  }
};

/**
 * Reads the on-failure record of a Kafka event source mapping as Lambda writes it to an S3 destination:
 * `requestContext` (condition, invoke count, function), `KafkaBatchInfo` (per `topic-partition`, the
 * first and last discarded offsets) and `payload` (the whole invocation event). The discarded records
 * are those of the payload within the offsets of `recordsInfo`.
 */
export function discardedBatchOf(document: unknown): DiscardedBatch {
  if (!isObject(document) || !isObject(document.requestContext) || !isObject(document.KafkaBatchInfo)) {
    throw new DiscardedBatchUnreadableError('Not the on-failure record of a Kafka event source mapping');
  }
  const context = document.requestContext;
  const payloadRecords = payloadOf(document).records as Record<string, unknown>;
  const info = document.KafkaBatchInfo.recordsInfo;
  const records: Record<string, MSKRecord[]> = {};
  for (const [key, list] of Object.entries(payloadRecords)) {
    if (!Array.isArray(list)) continue;
    const range = isObject(info) ? info[key] : undefined;
    const kept = (list as MSKRecord[]).filter(
      (record) =>
        !isObject(info) ||
        (isObject(range) && offsetWithin(record.offset, range.firstRecordOffset, range.lastRecordOffset)),
    );
    if (kept.length > 0) records[key] = kept;
  }
  if (Object.keys(records).length === 0) {
    throw new DiscardedBatchUnreadableError('The payload holds none of the discarded records');
  }
  return {
    condition: String(context.condition ?? 'Unknown'),
    attempts: Number(context.approximateInvokeCount ?? 0) || 0,
    functionArn: String(context.functionArn ?? ''),
    records,
  };
}

/**
 * The dead-letter id of a discarded record: a ULID whose time is the record's timestamp and whose
 * random part is derived from where the record is (service, topic, partition, offset), so that
 * recording the same object twice writes the same items.
 */
export function discardedRecordId(service: string, { record }: DecodedRecord, timestamp: number): string {
  const digest = createHash('sha256')
    .update(`${service}|${record.topic}|${record.partition}|${record.offset}`)
    .digest();
  let index = 0;
  const prng = () => (digest[index++ % digest.length] ?? 0) / 256;
  const time = Number.isFinite(timestamp) && timestamp >= 0 ? Math.floor(timestamp) : 0;
  return ulid(time, prng);
}

export interface RecordedBatch {
  written: number;
  /** Records already in the table (the object was recorded before). */
  duplicates: number;
}

/**
 * Writes one dead letter per discarded record, with its value, key and headers, as the consumer
 * framework writes those it gives up on (`HANDLER_FAILED`, the mapping's condition as `errorCode`),
 * so that they are listed and redriven alike.
 */
export async function recordDiscardedBatch(
  client: DynamoDBDocumentClient,
  tableName: string,
  service: string,
  batch: DiscardedBatch,
  now: Date,
): Promise<RecordedBatch> {
  const outcome: RecordedBatch = { written: 0, duplicates: 0 };
  const timestamps = new Map<string, number>();
  for (const list of Object.values(batch.records)) {
    for (const record of list)
      timestamps.set(`${record.topic}|${record.partition}|${record.offset}`, record.timestamp);
  }
  for (const partition of decodeMskEvent({ records: batch.records })) {
    for (const decoded of partition.records) {
      const { record } = decoded;
      const timestamp =
        timestamps.get(`${record.topic}|${record.partition}|${record.offset}`) ?? now.getTime();
      const id = discardedRecordId(service, decoded, timestamp);
      const parsed = parseEvent(decoded.value);
      const event = parsed.ok ? parsed.event : undefined;
      try {
        await new DeadLetterStore(client, tableName, () => id).write(
          {
            service,
            record,
            rawValue: decoded.value,
            eventId: event?.eventId ?? (parsed.ok ? undefined : parsed.error.eventId),
            eventType: event?.eventType ?? (parsed.ok ? undefined : parsed.error.eventType),
            aggregateId: event?.aggregateId,
            errorKind: 'HANDLER_FAILED',
            errorCode: batch.condition,
            errorMessage: `The event source mapping discarded the record after ${batch.attempts} invocation(s): ${batch.condition}`,
            attempts: batch.attempts,
          },
          now,
        );
        outcome.written += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        outcome.duplicates += 1;
        logger.info('discarded record already recorded', { deadLetterId: id, offset: record.offset });
      }
    }
  }
  return outcome;
}
