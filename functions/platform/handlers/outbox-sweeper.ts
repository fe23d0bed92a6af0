import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { documentClient } from '../clients';
import { intEnv, requireEnv } from '../env';
import { KafkaEventProducer, kafkaSettingsFromEnv } from '../outbox/kafka-producer';
import { OutboxPublisher } from '../outbox/publisher';
import { DynamoOutboxStore } from '../outbox/store';
import { logger, metrics } from '../powertools';

const tableName = requireEnv('OUTBOX_TABLE_NAME');
const graceSeconds = intEnv('OUTBOX_GRACE_SECONDS', 120);
const batchLimit = intEnv('OUTBOX_SWEEP_LIMIT', 500);
const store = new DynamoOutboxStore(documentClient, tableName);
const publisher = new OutboxPublisher(new KafkaEventProducer(kafkaSettingsFromEnv()), store, {
  chunkSize: intEnv('OUTBOX_CHUNK_SIZE', 100),
});

export class SweepIncompleteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SweepIncompleteError';
  }
}

/**
 * Scheduled sweeper: republishes outbox rows still unpublished after the grace period (a relay that
 * gave up, stream records past their 24 h retention). Consumers deduplicate by eventId, so a row the
 * relay published but could not mark is harmless to send again.
 */
export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (): Promise<{ found: number; published: number }> => {
    const cutoff = new Date(Date.now() - graceSeconds * 1000);
    const rows = await store.findUnpublished(cutoff, batchLimit);
    metrics.addMetric('OutboxSweepFound', MetricUnit.Count, rows.length);
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
