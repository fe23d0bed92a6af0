import type { DomainEvent } from '#events';
import { topicFor } from '#events';

/** Number of partitions of the sparse `unpublished` index; spreads pending rows over keys. */
export const UNPUBLISHED_SHARDS = 8;
export const UNPUBLISHED_INDEX = 'unpublished';
/** Published rows are kept this long for audit and replay, then expire through TTL. */
export const PUBLISHED_RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * An outbox row as stored in a service table. Rows of one aggregate share the partition key, so the
 * table's stream delivers them in order; the sort key is the event's ULID.
 */
export interface OutboxRow {
  pk: string;
  sk: string;
  entity: 'OUTBOX';
  eventId: string;
  eventType: string;
  aggregateId: string;
  topic: string;
  messageKey: string;
  /** The envelope, serialized once at write time; published byte for byte. */
  event: string;
  createdAt: string;
  unpublishedShard?: string;
  publishedAt?: string;
  expiresAt?: number;
  /** Set when the row can never be published (see `defectOf`); it has left the unpublished index. */
  quarantinedAt?: string;
  quarantineReason?: string;
}

/**
 * An outbox row as read back from a table (a stream image, the unpublished index): its keys are
 * certain, everything else is what was written, which may be anything (a row written by hand, or
 * by a defective writer). The publisher checks it before it becomes a message.
 */
export type StoredOutboxRow = Pick<OutboxRow, 'pk' | 'sk'> & {
  readonly [K in Exclude<keyof OutboxRow, 'pk' | 'sk'>]?: unknown;
};

export function outboxKey(aggregateId: string, eventId: string): { pk: string; sk: string } {
  return { pk: `OUTBOX#${aggregateId}`, sk: eventId };
}

/** Stable small hash (FNV-1a) of the aggregate id, to pick an index shard. */
export function shardOf(aggregateId: string, shards = UNPUBLISHED_SHARDS): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < aggregateId.length; i++) {
    hash ^= aggregateId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash % shards);
}

/** What an outbox row carries besides its keys and bookkeeping; the fields of `outboxRow`. */
export interface RawOutboxMessage {
  aggregateId: string;
  /** Sort key of the row; defaults to `eventId`. */
  rowId?: string;
  eventId: string;
  eventType: string;
  topic: string;
  messageKey: string;
  /** The value to publish, byte for byte. */
  event: string;
  createdAt: string;
}

/**
 * Builds a row from an already serialized value, e.g. a dead-lettered Kafka record being redriven to
 * its original topic with its original key.
 */
export function rawOutboxRow(message: RawOutboxMessage): OutboxRow {
  return {
    ...outboxKey(message.aggregateId, message.rowId ?? message.eventId),
    entity: 'OUTBOX',
    eventId: message.eventId,
    eventType: message.eventType,
    aggregateId: message.aggregateId,
    topic: message.topic,
    messageKey: message.messageKey,
    event: message.event,
    createdAt: message.createdAt,
    unpublishedShard: shardOf(message.aggregateId),
  };
}

/** Builds the row for an event; callers put it in the same transaction as their state change. */
export function outboxRow(event: DomainEvent): OutboxRow {
  return rawOutboxRow({
    aggregateId: event.aggregateId,
    eventId: event.eventId,
    eventType: event.eventType,
    topic: topicFor(event.eventType),
    messageKey: event.aggregateId,
    event: JSON.stringify(event),
    createdAt: event.occurredAt,
  });
}

/** A TransactWriteItems entry (document client shape) that inserts the row exactly once. */
export function outboxPut(tableName: string, event: DomainEvent) {
  return rawOutboxPut(tableName, outboxRow(event));
}

/** A TransactWriteItems entry that inserts a prepared row exactly once. */
export function rawOutboxPut(tableName: string, row: OutboxRow) {
  return {
    Put: {
      TableName: tableName,
      Item: row,
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
