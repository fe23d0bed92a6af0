import type { Context } from 'aws-lambda';
import { documentClient } from '../clients';
import { readEnv } from '../env';
import { RetryableError } from '../errors';
import { OutboxSweeperFn } from '../outbox/contract';
import { KafkaEventProducer, kafkaSettingsOf } from '../outbox/kafka-producer';
import { PublishDeadlineError } from '../outbox/producer';
import { deadlineFor, OutboxPublisher } from '../outbox/publisher';
import { UNPUBLISHED_SHARDS } from '../outbox/row';
import { DynamoOutboxStore, type PageCursor } from '../outbox/store';
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

export interface SweepResult {
  /** Stale rows read from the unpublished index. */
  found: number;
  published: number;
  quarantined: number;
  /** False when the time budget ran out with rows still to read: the next run goes on. */
  complete: boolean;
}

interface ShardSweep extends SweepResult {
  error?: Error;
}

/**
 * Sweeps one shard of the unpublished index, page after page, oldest first, until it is empty, a
 * send fails, or the deadline passes. Rows of one aggregate share a shard, so their order holds.
 */
async function sweepShard(shard: number, cutoff: Date, deadline: number): Promise<ShardSweep> {
  const result: ShardSweep = { found: 0, published: 0, quarantined: 0, complete: false };
  let after: PageCursor | undefined;
  do {
    if (Date.now() >= deadline) return result;
    const page = await store.findUnpublishedPage(shard, cutoff, env.OUTBOX_SWEEP_PAGE_SIZE, after);
    result.found += page.rows.length;
    if (page.rows.length > 0) {
      logger.warn('republishing stale outbox rows', {
        shard,
        count: page.rows.length,
        oldest: page.rows[0]?.createdAt,
      });
      const outcome = await publisher.publish(page.rows, { deadline });
      result.published += outcome.published;
      result.quarantined += outcome.quarantined;
      if (outcome.failedAt !== undefined) {
        if (outcome.error instanceof PublishDeadlineError) return result;
        return outcome.error ? { ...result, error: outcome.error } : result;
      }
    }
    after = page.next;
  } while (after);
  return { ...result, complete: true };
}

/**
 * Scheduled sweeper: republishes outbox rows still unpublished after the grace period (a relay that
 * gave up, stream records past their 24 h retention), and quarantines rows that can never be
 * published. Each shard of the index is swept on its own, page after page, for as long as the
 * invocation has time, so a backlog drains at the pace Kafka and the table allow rather than a fixed
 * number of rows per run. Consumers deduplicate by eventId, so a row the relay published but could
 * not mark is harmless to send again.
 */
export const handler = instrumented(async (_event: unknown, context: Context): Promise<SweepResult> => {
  const cutoff = new Date(Date.now() - env.OUTBOX_GRACE_SECONDS * 1000);
  const deadline = deadlineFor(context);
  const shards = await Promise.all(
    Array.from({ length: UNPUBLISHED_SHARDS }, (_, shard) => sweepShard(shard, cutoff, deadline)),
  );
  const result: SweepResult = {
    found: shards.reduce((sum, shard) => sum + shard.found, 0),
    published: shards.reduce((sum, shard) => sum + shard.published, 0),
    quarantined: shards.reduce((sum, shard) => sum + shard.quarantined, 0),
    complete: shards.every((shard) => shard.complete),
  };
  count('OutboxSweepFound', result.found);
  const failed = shards.find((shard) => shard.error !== undefined);
  if (failed) {
    throw new SweepIncompleteError(`Swept ${result.published} of ${result.found} stale outbox rows`, {
      cause: failed.error,
    });
  }
  if (!result.complete) logger.warn('the sweep ran out of time; the next run goes on', { ...result });
  return result;
});
