import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../clients';
import { readEnv } from '../env';
import { OutboxRelayFn } from '../outbox/contract';
import { KafkaEventProducer, kafkaSettingsOf } from '../outbox/kafka-producer';
import { deadlineFor, OutboxPublisher } from '../outbox/publisher';
import type { StoredOutboxRow } from '../outbox/row';
import { DynamoOutboxStore } from '../outbox/store';
import { instrumented, logger } from '../powertools';

const env = readEnv(OutboxRelayFn);
const publisher = new OutboxPublisher(
  new KafkaEventProducer(kafkaSettingsOf(env)),
  new DynamoOutboxStore(documentClient, env.OUTBOX_TABLE_NAME),
  { chunkSize: env.OUTBOX_CHUNK_SIZE },
);

interface StreamRow {
  row: StoredOutboxRow;
  sequenceNumber: string;
}

/** The outbox row an INSERT record carries, as stored: the publisher checks its fields. */
function toStreamRow(record: DynamoDBRecord): StreamRow | undefined {
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (record.eventName !== 'INSERT' || !image || !sequenceNumber) return undefined;
  const item = unmarshall(image as Parameters<typeof unmarshall>[0]);
  if (item.entity !== 'OUTBOX' || typeof item.pk !== 'string' || typeof item.sk !== 'string')
    return undefined;
  return { row: item as StoredOutboxRow, sequenceNumber };
}

/**
 * Stream relay: publishes the outbox rows of one stream batch in order, within the invocation's time
 * budget. A row that can never be published is quarantined and the batch goes on. On a failure (or
 * when the time is up) it reports the first unacknowledged record, so the event source mapping
 * retries from there, for as long as the stream keeps the record; the sweeper covers what is older.
 */
export const handler = instrumented<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event, context) => {
  const rows = event.Records.map(toStreamRow).filter((row): row is StreamRow => row !== undefined);
  const outcome = await publisher.publish(
    rows.map(({ row }) => row),
    { deadline: deadlineFor(context) },
  );
  logger.info('outbox batch relayed', {
    records: event.Records.length,
    published: outcome.published,
    quarantined: outcome.quarantined,
  });
  const failed = outcome.failedAt === undefined ? undefined : rows[outcome.failedAt];
  return { batchItemFailures: failed ? [{ itemIdentifier: failed.sequenceNumber }] : [] };
});
