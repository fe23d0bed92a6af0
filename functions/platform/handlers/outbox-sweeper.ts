import { documentClient } from '../clients';
import { readEnv } from '../env';
import { RetryableError } from '../errors';
import { OutboxSweeperFn } from '../outbox/contract';
import { KafkaEventProducer, kafkaSettingsOf } from '../outbox/kafka-producer';
import { OutboxPublisher } from '../outbox/publisher';
import { DynamoOutboxStore } from '../outbox/store';
import { instrumented, logger, metricsOf } from '../powertools';

const env = readEnv(OutboxSweeperFn);
const store = new DynamoOutboxStore(documentClient, env.OUTBOX_TABLE_NAME);
const publisher = new OutboxPublisher(new KafkaEventProducer(kafkaSettingsOf(env)), store, {
  chunkSize: env.OUTBOX_CHUNK_SIZE,
});
const count = metricsOf(OutboxSweeperFn.metrics);

/** Some stale rows were not acknowledged by Kafka; the next run (or the schedule's retry) tries again. */
export class SweepIncompleteError extends RetryableError {
  readonly code = 'SWEEP_INCOMPLETE';
}

/**
 * Scheduled sweeper: republishes outbox rows still unpublished after the grace period (a relay that
 * gave up, stream records past their 24 h retention). Consumers deduplicate by eventId, so a row the
 * relay published but could not mark is harmless to send again.
 */
export const handler = instrumented(async (): Promise<{ found: number; published: number }> => {
  const cutoff = new Date(Date.now() - env.OUTBOX_GRACE_SECONDS * 1000);
  const rows = await store.findUnpublished(cutoff, env.OUTBOX_SWEEP_LIMIT);
  count('OutboxSweepFound', rows.length);
  if (rows.length === 0) return { found: 0, published: 0 };
  logger.warn('republishing stale outbox rows', { count: rows.length, oldest: rows[0]?.createdAt });
  const outcome = await publisher.publish(rows);
  if (outcome.failedAt !== undefined) {
    throw new SweepIncompleteError(`Swept ${outcome.published} of ${rows.length} stale outbox rows`, {
      cause: outcome.error,
    });
  }
  return { found: rows.length, published: outcome.published };
});
