import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ConsumedRecord, DecodedRecord } from './records';

/** Index of parked records by the service that parked them (`parkedService`), due first (`retryAt`). */
export const PARKED_INDEX = 'parked';
/** A parked record is kept this long at most (it alarms long before). */
export const PARKED_RETENTION_SECONDS = 30 * 24 * 3600;
/** First wait of a parked record, doubling per retry up to `MAX_PARK_DELAY_MS`. */
export const FIRST_PARK_DELAY_MS = 5_000;
export const MAX_PARK_DELAY_MS = 5 * 60_000;

/**
 * A record a consumer could not process yet for a reason that passes by itself (a dependency down,
 * an open circuit, contention, another invocation holding the event). It waits in the dead-letter
 * table, outside its partition, until `retryAt`; the consumer retries it from its scheduled sweep.
 */
export interface ParkedItem {
  pk: string;
  sk: 'PARKED';
  entity: 'PARKED';
  /** Listed with the dead letters (`GET /admin/dead-letters?status=PARKED`). */
  status: 'PARKED';
  parkedService: string;
  service: string;
  eventId: string;
  eventType?: string;
  aggregateId?: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  rawValue: string;
  reason: string;
  errorCode?: string;
  /** How often it was parked; the next wait doubles with it. */
  parkCount: number;
  createdAt: string;
  retryAt: string;
  expiresAt: number;
  /** Who sent it back when an operator redrove a dead letter. */
  redrivenBy?: string;
}

export const parkedKey = (service: string, eventId: string) => ({
  pk: `PARKED#${service}#${eventId}`,
  sk: 'PARKED' as const,
});

/** The wait before the next retry of a record parked `parkCount` times. */
export function parkDelayMs(parkCount: number): number {
  return Math.min(MAX_PARK_DELAY_MS, FIRST_PARK_DELAY_MS * 2 ** Math.max(0, parkCount - 1));
}

export interface ParkRequest {
  service: string;
  decoded: DecodedRecord;
  eventId: string;
  eventType?: string | undefined;
  aggregateId?: string | undefined;
  reason: string;
  errorCode?: string | undefined;
  /** Not before this time (an in-progress record's expiry); otherwise the backoff decides. */
  notBefore?: Date | undefined;
  /** The parking so far (a retry of a parked record); a new record starts at 0. */
  parkCount?: number;
  redrivenBy?: string | undefined;
}

/** The item that parks a record until `retryAt`. */
export function parkedItemFor(request: ParkRequest, now: Date, retryAt: Date, parkCount: number): ParkedItem {
  const { record, value } = request.decoded;
  return {
    ...parkedKey(request.service, request.eventId),
    entity: 'PARKED',
    status: 'PARKED',
    parkedService: request.service,
    service: request.service,
    eventId: request.eventId,
    ...(request.eventType ? { eventType: request.eventType } : {}),
    ...(request.aggregateId ? { aggregateId: request.aggregateId } : {}),
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    headers: record.headers,
    rawValue: value,
    reason: request.reason.slice(0, 1024),
    ...(request.errorCode ? { errorCode: request.errorCode } : {}),
    parkCount,
    createdAt: now.toISOString(),
    retryAt: retryAt.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + PARKED_RETENTION_SECONDS,
    ...(request.redrivenBy ? { redrivenBy: request.redrivenBy } : {}),
  };
}

/** The parked records of the consumers, in the dead-letter table. */
export class ParkingLot {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Parks (or parks again) a record, one item per (service, eventId). */
  async park(request: ParkRequest, now: Date): Promise<ParkedItem> {
    const parkCount = (request.parkCount ?? 0) + 1;
    const backoff = new Date(now.getTime() + parkDelayMs(parkCount));
    const retryAt = request.notBefore && request.notBefore > backoff ? request.notBefore : backoff;
    const item = parkedItemFor(request, now, retryAt, parkCount);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
    return item;
  }

  /** Records of `service` due for a retry at `now`, earliest first. */
  async due(service: string, now: Date, limit: number): Promise<ParkedItem[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: PARKED_INDEX,
        KeyConditionExpression: 'parkedService = :service AND retryAt <= :now',
        ExpressionAttributeValues: { ':service': service, ':now': now.toISOString() },
        Limit: limit,
      }),
    );
    return (Items ?? []) as ParkedItem[];
  }

  /** Removes a parked record that is done with (processed, or moved to the dead letters). */
  async release(item: Pick<ParkedItem, 'service' | 'eventId' | 'parkCount'>): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: parkedKey(item.service, item.eventId),
          // Parked again meanwhile (a redelivery of the same event): that parking stays.
          ConditionExpression: 'parkCount = :count',
          ExpressionAttributeValues: { ':count': item.parkCount },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Moves the retry of a parked record forward (an operator's redrive, a test). */
  async dueNow(service: string, eventId: string, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: parkedKey(service, eventId),
        UpdateExpression: 'SET retryAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
  }
}

/** The record a parked item stands for, as the consumer decodes it from Kafka. */
export function decodedOf(item: ParkedItem): DecodedRecord {
  const record: ConsumedRecord = {
    topic: item.topic,
    partition: item.partition,
    offset: item.offset,
    key: item.key,
    headers: item.headers ?? {},
  };
  return { record, value: item.rawValue };
}
