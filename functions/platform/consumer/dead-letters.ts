import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { EventIssue, EventParseError, EventParseErrorKind } from '#events';
import { failedConditionAt } from '../dynamo';
import { logger } from '../powertools';
import { parkedItemFor } from './parking';
import type { ConsumedRecord, DecodedRecord } from './records';

/** Index of dead letters by `status`, sorted by `createdAt` (listed newest first). */
export const DEAD_LETTER_STATUS_INDEX = 'byStatus';
/** Dead letters expire through TTL after this long. */
export const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 3600;
/** Attempt counters of failing events expire after this long: longer than dead letters are kept. */
export const ATTEMPT_COUNTER_RETENTION_SECONDS = 31 * 24 * 3600;

/** OPEN: waits for an operator; REDRIVEN: sent back to the service that failed it. */
export type DeadLetterStatus = 'OPEN' | 'REDRIVEN';
/**
 * Why a record became a dead letter: it did not parse (the parse error's kind), its handler kept
 * failing with retryable errors until the attempts ran out (`HANDLER_FAILED`), or its handler rejected
 * it with an error that retrying cannot fix (`HANDLER_REJECTED`).
 */
export type DeadLetterErrorKind = EventParseErrorKind | 'HANDLER_FAILED' | 'HANDLER_REJECTED';

/** A Kafka record a consumer gave up on, with the raw value and why. */
export interface DeadLetterItem {
  pk: string;
  sk: 'DEADLETTER';
  entity: 'DEADLETTER';
  id: string;
  service: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** The record's Kafka headers. */
  headers?: Record<string, string>;
  /** The record value exactly as received (decoded from base64 to text). */
  rawValue: string;
  eventId?: string;
  eventType?: string;
  /** The envelope's aggregateId (orderId) when it was readable. */
  aggregateId?: string;
  errorKind: DeadLetterErrorKind;
  errorMessage: string;
  /** The handler error's reason code, when it had one. */
  errorCode?: string;
  issues?: EventIssue[];
  attempts: number;
  createdAt: string;
  status: DeadLetterStatus;
  expiresAt: number;
  redrivenAt?: string;
  /** Who redrove it (the operator's identity). */
  redrivenBy?: string;
}

export interface NewDeadLetter {
  service: string;
  record: ConsumedRecord;
  rawValue: string;
  eventId?: string | undefined;
  eventType?: string | undefined;
  aggregateId?: string | undefined;
  errorKind: DeadLetterErrorKind;
  errorMessage: string;
  errorCode?: string | undefined;
  issues?: EventIssue[] | undefined;
  attempts: number;
}

export interface DeadLetterPage {
  items: DeadLetterItem[];
  /** Opaque cursor for the next page; undefined on the last page. */
  next?: Record<string, unknown>;
}

export type RedriveOutcome =
  | { outcome: 'REDRIVEN'; item: DeadLetterItem }
  | { outcome: 'NOT_FOUND' }
  | { outcome: 'ALREADY_REDRIVEN'; item: DeadLetterItem }
  /** The record is not a valid event: delivered again, it would only fail again. */
  | { outcome: 'NOT_REDRIVABLE'; item: DeadLetterItem };

/** Dead letters whose record never parsed as an event; they cannot be redriven. */
const UNPARSEABLE_KINDS: ReadonlySet<DeadLetterErrorKind> = new Set([
  'NOT_JSON',
  'INVALID_ENVELOPE',
  'UNKNOWN_EVENT_TYPE',
  'UNSUPPORTED_VERSION',
  'INVALID_PAYLOAD',
]);

export const deadLetterKey = (id: string) => ({ pk: `DEADLETTER#${id}`, sk: 'DEADLETTER' as const });
export const attemptsKey = (service: string, eventId: string) => ({
  pk: `ATTEMPTS#${service}#${eventId}`,
  sk: 'ATTEMPTS',
});

const epochSeconds = (now: Date) => Math.floor(now.getTime() / 1000);

/**
 * The dead-letter table: records consumers gave up on, attempt counters of failing events, and the
 * records consumers parked (see `ParkingLot`), which is also how a redrive sends a dead letter back.
 */
export class DeadLetterStore {
  private readonly newId: () => string;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    newId?: () => string,
  ) {
    const ulid = monotonicFactory();
    this.newId = newId ?? (() => ulid());
  }

  /** Stores a dead letter (status OPEN) and returns it. */
  async write(letter: NewDeadLetter, now: Date): Promise<DeadLetterItem> {
    const id = this.newId();
    const item: DeadLetterItem = {
      ...deadLetterKey(id),
      entity: 'DEADLETTER',
      id,
      service: letter.service,
      topic: letter.record.topic,
      partition: letter.record.partition,
      offset: letter.record.offset,
      key: letter.record.key,
      headers: letter.record.headers,
      rawValue: letter.rawValue,
      ...(letter.eventId ? { eventId: letter.eventId } : {}),
      ...(letter.eventType ? { eventType: letter.eventType } : {}),
      ...(letter.aggregateId ? { aggregateId: letter.aggregateId } : {}),
      errorKind: letter.errorKind,
      errorMessage: letter.errorMessage.slice(0, 4096),
      ...(letter.errorCode ? { errorCode: letter.errorCode } : {}),
      ...(letter.issues && letter.issues.length > 0 ? { issues: letter.issues.slice(0, 50) } : {}),
      attempts: letter.attempts,
      createdAt: now.toISOString(),
      status: 'OPEN',
      expiresAt: epochSeconds(now) + DEAD_LETTER_RETENTION_SECONDS,
    };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return item;
  }

  /** Adds one failed attempt for (service, eventId) and returns the attempts so far. */
  async incrementAttempts(service: string, eventId: string, now: Date): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: attemptsKey(service, eventId),
        UpdateExpression: 'ADD attempts :one SET entity = :entity, expiresAt = :expiresAt',
        ExpressionAttributeValues: {
          ':one': 1,
          ':entity': 'ATTEMPTS',
          ':expiresAt': epochSeconds(now) + ATTEMPT_COUNTER_RETENTION_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const attempts = Attributes?.attempts;
    return typeof attempts === 'number' ? attempts : 1;
  }

  /** Dead letters with `status`, newest first. */
  async list(
    status: DeadLetterStatus,
    limit: number,
    cursor?: Record<string, unknown>,
  ): Promise<DeadLetterPage> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DEAD_LETTER_STATUS_INDEX,
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    return {
      items: (page.Items ?? []) as DeadLetterItem[],
      ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}),
    };
  }

  async get(id: string): Promise<DeadLetterItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: deadLetterKey(id), ConsistentRead: true }),
    );
    return Item as DeadLetterItem | undefined;
  }

  /**
   * Sends an OPEN dead letter back to the service that failed it, and only to that service: in one
   * transaction the dead letter becomes REDRIVEN (who and when recorded), the record is parked for
   * that service, due now (its consumer's schedule retries it within a minute), and the event's
   * attempt counter is cleared, so it gets the full budget again. Other consumer groups of the topic
   * are not touched. A record that never parsed is not redriven: it would only fail again.
   */
  async redrive(id: string, now: Date, by: string): Promise<RedriveOutcome> {
    const item = await this.get(id);
    if (!item) return { outcome: 'NOT_FOUND' };
    if (item.status !== 'OPEN') return { outcome: 'ALREADY_REDRIVEN', item };
    if (UNPARSEABLE_KINDS.has(item.errorKind) || !item.eventId) return { outcome: 'NOT_REDRIVABLE', item };

    const parked = parkedItemFor(
      {
        service: item.service,
        decoded: {
          record: {
            topic: item.topic,
            partition: item.partition,
            offset: item.offset,
            key: item.key,
            headers: item.headers ?? {},
          },
          value: item.rawValue,
        },
        eventId: item.eventId,
        eventType: item.eventType,
        aggregateId: item.aggregateId,
        reason: `Redriven by ${by}`,
        redrivenBy: by,
      },
      now,
      now,
      0,
    );
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: deadLetterKey(id),
                UpdateExpression: 'SET #status = :redriven, redrivenAt = :now, redrivenBy = :by',
                ConditionExpression: '#status = :open',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':redriven': 'REDRIVEN',
                  ':open': 'OPEN',
                  ':now': now.toISOString(),
                  ':by': by,
                },
              },
            },
            { Put: { TableName: this.tableName, Item: parked } },
            { Delete: { TableName: this.tableName, Key: attemptsKey(item.service, item.eventId) } },
          ],
        }),
      );
    } catch (error) {
      if (!failedConditionAt(error, 0)) throw error;
      const current = await this.get(id);
      if (!current) return { outcome: 'NOT_FOUND' };
      return { outcome: 'ALREADY_REDRIVEN', item: current };
    }
    return {
      outcome: 'REDRIVEN',
      item: { ...item, status: 'REDRIVEN', redrivenAt: now.toISOString(), redrivenBy: by },
    };
  }
}

/**
 * Dead-letters a record that is not a valid event (not JSON, bad envelope, unknown type or version,
 * schema violation): it can never succeed, so it is stored at once and its partition moves on.
 */
export async function deadLetterUnparseable(
  store: DeadLetterStore,
  service: string,
  { record, value }: DecodedRecord,
  error: EventParseError,
  now: Date,
): Promise<DeadLetterItem> {
  const letter = await store.write(
    {
      service,
      record,
      rawValue: value,
      eventId: error.eventId,
      eventType: error.eventType,
      errorKind: error.kind,
      errorMessage: error.message,
      issues: error.issues,
      attempts: 1,
    },
    now,
  );
  logger.warn('unparseable record dead-lettered', {
    deadLetterId: letter.id,
    errorKind: error.kind,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    ...(error.eventId ? { eventId: error.eventId } : {}),
  });
  return letter;
}
