import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../clients';
import { readEnv } from '../env';
import { OutboxRelayFn } from '../outbox/contract';
import { KafkaEventProducer, kafkaSettingsOf } from '../outbox/kafka-producer';
import { deadlineFor, OutboxPublisher } from '../outbox/publisher';
import type { StoredOutboxRow } from '../outbox/row';
import { DynamoOutboxStore } from '../outbox/store';
import { eventsOfRecord } from '../outbox/stream';
import { instrumented, logger } from '../powertools';
import { primeOnInit } from '../priming';

const env = readEnv(OutboxRelayFn);
const store = new DynamoOutboxStore(documentClient, env.OUTBOX_TABLE_NAME);
const producer = new KafkaEventProducer(kafkaSettingsOf(env));
const publisher = new OutboxPublisher(producer, store, { chunkSize: env.OUTBOX_CHUNK_SIZE });

// Connecting to the cluster does not publish; the first batch then finds the producer connected.
await primeOnInit([{ what: 'Kafka producer', prime: () => producer.open() }]);

interface StreamRow {
  row: StoredOutboxRow;
  sequenceNumber: string;
}

/** The events of one stream record, each with the record's sequence number. */
function rowsOf(record: DynamoDBRecord): StreamRow[] {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (!sequenceNumber) return [];
  return eventsOfRecord(record).map((row) => ({ row, sequenceNumber }));
}

/** Age of a row by its creation time; a row without one counts as old. */
function ageSecondsOf(row: StoredOutboxRow, now: number): number {
  const created = typeof row.createdAt === 'string' ? Date.parse(row.createdAt) : Number.NaN;
  return Number.isNaN(created) ? Number.POSITIVE_INFINITY : (now - created) / 1000;
}

/**
 * Stream relay: publishes the events of one stream batch in order (the entries state items gained,
 * and inserted outbox rows), within the invocation's time budget. An event that can never be
 * published is quarantined and the batch goes on. When Kafka does not acknowledge (or the time is
 * up) and the first event left is younger than the grace period, the relay reports its record and
 * the event source mapping retries from there, in order. Once it is older, what is left is handed to
 * the sweeper: events that ride on state items are written as outbox rows (`spill`), inserted rows
 * are in the unpublished index already.
 */
export const handler = instrumented<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event, context) => {
  const rows = event.Records.flatMap(rowsOf);
  const outcome = await publisher.publish(
    rows.map(({ row }) => row),
    { deadline: deadlineFor(context) },
  );
  logger.info('outbox batch relayed', {
    records: event.Records.length,
    published: outcome.published,
    quarantined: outcome.quarantined,
  });
  if (outcome.failedAt === undefined) return { batchItemFailures: [] };
  const failed = rows[outcome.failedAt] as StreamRow;
  const retry = { batchItemFailures: [{ itemIdentifier: failed.sequenceNumber }] };
  if (ageSecondsOf(failed.row, Date.now()) < env.OUTBOX_GRACE_SECONDS) return retry;
  // Old enough for the sweeper: rows are in its index already, events on state items get a row.
  const embedded = rows.slice(outcome.failedAt).flatMap(({ row }) => (row.embedded ? [row] : []));
  try {
    await store.spill(embedded, new Date());
  } catch (error) {
    logger.error('events could not be handed to the sweeper; the stream retries them', {
      error: error as Error,
      events: embedded.length,
    });
    return retry;
  }
  logger.warn('unpublished events handed to the sweeper', {
    rows: rows.length - outcome.failedAt,
    spilled: embedded.length,
  });
  return { batchItemFailures: [] };
});
