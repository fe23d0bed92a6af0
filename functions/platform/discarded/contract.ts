import * as z from 'zod';
import { defineFunction, setting } from '../contract';

/**
 * Records the batches an MSK event source mapping discarded (retries exhausted, records too old) in the
 * dead-letter table, each record with its value: the mappings' on-failure destination is an S3 bucket,
 * whose objects carry the whole invocation payload, and each new object invokes this function.
 * Deployed once per consumer, next to its bucket.
 */
export const DiscardedBatchesFn = defineFunction({
  name: 'discarded-batches',
  service: undefined,
  entry: 'platform/handlers/discarded-batches.ts',
  trigger:
    "S3 object created in the consumer's discarded-batch bucket (the on-failure destination of its MSK mappings)",
  description: 'Records the batches the Kafka mappings discarded in the dead-letter table, with their values',
  tables: { DEAD_LETTER_TABLE_NAME: 'named' },
  settings: z.object({
    CONSUMER_SERVICE: setting
      .text()
      .describe('the service whose consumer the discarded records were meant for'),
  }),
  metrics: { EventsDeadLettered: 'Count', DiscardedBatchesUnreadable: 'Count' },
});
