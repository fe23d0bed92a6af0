import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../clients';
import { readEnv } from '../env';
import { OutboxRelayFn } from '../outbox/contract';
import { KafkaEventProducer, kafkaSettingsOf } from '../outbox/kafka-producer';
import { OutboxPublisher } from '../outbox/publisher';
import type { OutboxRow } from '../outbox/row';
import { DynamoOutboxStore } from '../outbox/store';
import { instrumented, logger } from '../powertools';

const env = readEnv(OutboxRelayFn);
const publisher = new OutboxPublisher(
  new KafkaEventProducer(kafkaSettingsOf(env)),
  new DynamoOutboxStore(documentClient, env.OUTBOX_TABLE_NAME),
  { chunkSize: env.OUTBOX_CHUNK_SIZE },
);

interface StreamRow {
  row: OutboxRow;
  sequenceNumber: string;
}

function toStreamRow(record: DynamoDBRecord): StreamRow | undefined {
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (record.eventName !== 'INSERT' || !image || !sequenceNumber) return undefined;
  const row = unmarshall(image as Parameters<typeof unmarshall>[0]) as Partial<OutboxRow>;
  if (row.entity !== 'OUTBOX') return undefined;
  if (!row.topic || !row.messageKey || !row.event || !row.eventId) {
    logger.error('malformed outbox row skipped', { pk: row.pk, sk: row.sk });
    return undefined;
  }
  return { row: row as OutboxRow, sequenceNumber };
}

/**
 * Stream relay: publishes the outbox rows of one stream batch in order. On a failure it reports the
 * first unacknowledged record, so the event source mapping retries from there (and bisects, and after
 * its retry limit sends the batch's pointer to the on-failure queue; the sweeper republishes the rows).
 */
export const handler = instrumented<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event) => {
  const rows = event.Records.map(toStreamRow).filter((row): row is StreamRow => row !== undefined);
  const outcome = await publisher.publish(rows.map(({ row }) => row));
  logger.info('outbox batch relayed', { records: event.Records.length, published: outcome.published });
  const failed = outcome.failedAt === undefined ? undefined : rows[outcome.failedAt];
  return { batchItemFailures: failed ? [{ itemIdentifier: failed.sequenceNumber }] : [] };
});
