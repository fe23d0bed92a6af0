import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { embeddedRow, OUTBOX_ATTRIBUTE, type StoredOutboxRow } from './row';

type Image = Parameters<typeof unmarshall>[0];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The event ids of an image's outbox attribute. */
function entryIdsOf(image: Record<string, unknown> | undefined): Set<unknown> {
  const entries = image?.[OUTBOX_ATTRIBUTE];
  return new Set(
    Array.isArray(entries) ? entries.map((entry) => (isRecord(entry) ? entry.eventId : undefined)) : [],
  );
}

/**
 * The events one stream record of a service table holds for publishing, as stored (the publisher
 * checks their fields): an inserted outbox row (an event redriven or put by hand), or the entries of a
 * state item's outbox attribute that its old image did not carry (the events this write emitted).
 * Anything else (a row marked published, a row the relay wrote for the sweeper, an expiry, a write
 * without events) holds none.
 */
export function eventsOfRecord(record: Pick<DynamoDBRecord, 'eventName' | 'dynamodb'>): StoredOutboxRow[] {
  const image = record.dynamodb?.NewImage;
  if (!image) return [];
  const item = unmarshall(image as Image);
  if (typeof item.pk !== 'string' || typeof item.sk !== 'string') return [];
  if (item.entity === 'OUTBOX') {
    // A row the relay wrote (for the sweeper, or quarantined) holds an event the stream gave already.
    const relayed = item.spilledAt !== undefined || item.quarantinedAt !== undefined;
    return record.eventName === 'INSERT' && !relayed ? [item as StoredOutboxRow] : [];
  }
  const entries: unknown = item[OUTBOX_ATTRIBUTE];
  if (!Array.isArray(entries)) return [];
  const old = record.dynamodb?.OldImage;
  const before = entryIdsOf(old ? unmarshall(old as Image) : undefined);
  return entries
    .filter((entry) => !isRecord(entry) || !before.has(entry.eventId))
    .map((entry) => embeddedRow(isRecord(entry) ? entry : {}, item.pk));
}
