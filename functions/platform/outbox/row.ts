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
  /** When the relay wrote the row for an event it could not publish from its state item. */
  spilledAt?: string;
  /**
   * Never stored: the event rides on the state item that emitted it (`OUTBOX_ATTRIBUTE`), so no row
   * exists; the relay writes one only when it hands the event to the sweeper (`spill`).
   */
  embedded?: true;
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

/**
 * The attribute of a state item that carries the events its last write emitted, as `OutboxEntry`s.
 * The item and its events commit in one write; the table's stream (new and old images) hands the
 * relay every entry of the new image that the old one did not have.
 */
export const OUTBOX_ATTRIBUTE = 'outbox';

/** One event as it rides on the state item that emitted it: published as is, or spilled as a row. */
export type OutboxEntry = Omit<RawOutboxMessage, 'rowId'>;

/** The entry of an event, serialized once at write time. */
export function outboxEntry(event: DomainEvent): OutboxEntry {
  return {
    aggregateId: event.aggregateId,
    eventId: event.eventId,
    eventType: event.eventType,
    topic: topicFor(event.eventType),
    messageKey: event.aggregateId,
    event: JSON.stringify(event),
    createdAt: event.occurredAt,
  };
}

/** A state item to put with the events of its write (none: the item carries no outbox attribute). */
export function withOutbox<T extends object>(
  item: T,
  events: readonly DomainEvent[],
): T & { [OUTBOX_ATTRIBUTE]?: OutboxEntry[] } {
  return events.length === 0 ? item : { ...item, [OUTBOX_ATTRIBUTE]: events.map(outboxEntry) };
}

/** The parts of an UpdateItem request (document client shape) that `outboxUpdate` extends. */
export interface ItemUpdate {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

const CLAUSE = /\b(SET|REMOVE|ADD|DELETE)\b/gi;

/** The clauses of an update expression by keyword (upper case), each clause's actions as written. */
function clausesOf(expression: string): Map<string, string> {
  const clauses = new Map<string, string>();
  const marks = [...expression.matchAll(CLAUSE)];
  marks.forEach((mark, i) => {
    const end = marks[i + 1]?.index ?? expression.length;
    const actions = expression.slice((mark.index ?? 0) + mark[0].length, end).trim();
    const keyword = (mark[1] ?? '').toUpperCase();
    const before = clauses.get(keyword);
    clauses.set(keyword, before ? `${before}, ${actions}` : actions);
  });
  return clauses;
}

/**
 * An update of a state item that also replaces its outbox attribute with the events of this write,
 * or removes it when the write emits none (so the stream never offers the relay old events again).
 */
export function outboxUpdate<U extends ItemUpdate>(update: U, events: readonly DomainEvent[]): U {
  const clauses = clausesOf(update.UpdateExpression);
  const names = { ...update.ExpressionAttributeNames, '#outbox': OUTBOX_ATTRIBUTE };
  if (events.length === 0) {
    const remove = clauses.get('REMOVE');
    clauses.set('REMOVE', remove ? `${remove}, #outbox` : '#outbox');
    return {
      ...update,
      UpdateExpression: [...clauses].map(([keyword, actions]) => `${keyword} ${actions}`).join(' '),
      ExpressionAttributeNames: names,
    };
  }
  const set = clauses.get('SET');
  clauses.set('SET', set ? `${set}, #outbox = :outbox` : '#outbox = :outbox');
  return {
    ...update,
    UpdateExpression: [...clauses].map(([keyword, actions]) => `${keyword} ${actions}`).join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':outbox': events.map(outboxEntry) },
  };
}

/**
 * The row an entry read from a state item's image becomes: what the publisher checks and sends, and
 * what the relay writes when it spills the event. Fields are as stored (anything, when a writer was
 * defective); the key falls back to the item's own partition key when the entry names no aggregate.
 */
export function embeddedRow(entry: Record<string, unknown>, itemPk: string): StoredOutboxRow {
  const aggregateId = typeof entry.aggregateId === 'string' ? entry.aggregateId : itemPk;
  const eventId = typeof entry.eventId === 'string' ? entry.eventId : 'unknown';
  return {
    ...entry,
    ...outboxKey(aggregateId, eventId),
    entity: 'OUTBOX',
    aggregateId,
    unpublishedShard: shardOf(aggregateId),
    embedded: true,
  };
}

/**
 * The standalone row of an event (the row the relay writes when it spills that event). Services carry
 * their events on their state items instead (`withOutbox`, `outboxUpdate`).
 */
export function outboxRow(event: DomainEvent): OutboxRow {
  return rawOutboxRow(outboxEntry(event));
}

/** A TransactWriteItems entry (document client shape) that inserts the row of an event exactly once. */
export function outboxPut(tableName: string, event: DomainEvent) {
  return {
    Put: {
      TableName: tableName,
      Item: outboxRow(event),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
