import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { documentClient } from '../clients';
import {
  type DiscardedBatch,
  DiscardedBatchUnreadableError,
  discardedBatchOf,
  recordDiscardedBatch,
} from '../discarded/batch';
import { DiscardedBatchesFn } from '../discarded/contract';
import { readEnv } from '../env';
import { instrumented, logger, metrics, metricsOf, tracer } from '../powertools';

const env = readEnv(DiscardedBatchesFn);
const s3 = tracer.captureAWSv3Client(new S3Client({ maxAttempts: 3 }));
const count = metricsOf(DiscardedBatchesFn.metrics);
metrics.setDefaultDimensions({ service: env.CONSUMER_SERVICE });

/** S3 event notifications carry keys URL-encoded, spaces as `+`. */
const objectKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

async function readBatch(bucket: string, key: string): Promise<DiscardedBatch> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  try {
    return discardedBatchOf(JSON.parse(text) as unknown);
  } catch (error) {
    if (error instanceof DiscardedBatchUnreadableError) throw error;
    throw new DiscardedBatchUnreadableError(`s3://${bucket}/${key} is not JSON`, { cause: error });
  }
}

/**
 * For each object an MSK event source mapping wrote to its S3 on-failure destination, writes a dead
 * letter per discarded record, value included (idempotent: the ids follow the records' positions).
 * An object that cannot be read fails the invocation: Lambda retries it, then its dead-letter queue
 * keeps the notification (the object stays in the bucket) and an alarm fires.
 */
export const handler = instrumented<S3Event, void>(async (event) => {
  for (const notification of event.Records) {
    const bucket = notification.s3.bucket.name;
    const key = objectKey(notification.s3.object.key);
    let batch: DiscardedBatch;
    try {
      batch = await readBatch(bucket, key);
    } catch (error) {
      if (error instanceof DiscardedBatchUnreadableError) count('DiscardedBatchesUnreadable');
      logger.error('a discarded batch could not be read', { bucket, key, error: error as Error });
      throw error;
    }
    const recorded = await recordDiscardedBatch(
      documentClient,
      env.DEAD_LETTER_TABLE_NAME,
      env.CONSUMER_SERVICE,
      batch,
      new Date(),
    );
    count('EventsDeadLettered', recorded.written);
    logger.warn('discarded records recorded as dead letters', {
      bucket,
      key,
      condition: batch.condition,
      attempts: batch.attempts,
      ...recorded,
    });
  }
});
