import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, MSKEvent } from 'aws-lambda';
import { documentClient, dynamoDb } from '../clients';
import { intEnv, requireEnv } from '../env';
import { ConfigurationError } from '../errors';
import { logger, metrics } from '../powertools';
import { createConsumer, type EventHandlers } from './consumer';
import { DeadLetterStore } from './dead-letters';

export type { EventHandlers, HandlerContext } from './consumer';
export { RetryableConsumerError } from './consumer';
export type { ConsumedRecord } from './records';

// Read once per container; a missing setting fails the cold start.
const idempotencyTableName = requireEnv('IDEMPOTENCY_TABLE_NAME');
const deadLetterTableName = requireEnv('DEAD_LETTER_TABLE_NAME');
const maxAttempts = intEnv('CONSUMER_MAX_ATTEMPTS', 3);
if (maxAttempts < 1) throw new ConfigurationError('CONSUMER_MAX_ATTEMPTS must be at least 1');

/**
 * A Lambda handler for an MSK event source mapping. For each partition of the batch, in offset order,
 * one record at a time:
 *
 * 1. the value is parsed with `parseEvent`; a record that is not a valid event becomes a dead letter
 *    (`errorKind` = the parse error kind) and the partition moves on;
 * 2. an event type the service has no handler for is skipped;
 * 3. the handler runs inside Powertools idempotency keyed on the envelope's eventId (records of
 *    `IDEMPOTENCY_TABLE_NAME`, kept 7 days), so a redelivered event is skipped;
 * 4. when the handler throws, a counter of attempts for (service, eventId) in `DEAD_LETTER_TABLE_NAME`
 *    is incremented; below `CONSUMER_MAX_ATTEMPTS` the invocation fails and the event source mapping
 *    retries the batch (records already done are skipped by idempotency); at the limit the event
 *    becomes a dead letter (`HANDLER_FAILED`) and the partition moves on.
 *
 * Handlers must follow the contract described on `EventHandlers`. Metrics: `EventsConsumed`,
 * `EventsDeadLettered`, `EventsSkippedDuplicate`, with the `service` dimension.
 */
export function kafkaConsumerHandler(options: {
  service: string;
  handlers: EventHandlers;
}): (event: MSKEvent, context: Context) => Promise<void> {
  metrics.setDefaultDimensions({ service: options.service });
  const consume = createConsumer({
    service: options.service,
    handlers: options.handlers,
    deadLetters: new DeadLetterStore(documentClient, deadLetterTableName),
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: idempotencyTableName,
      awsSdkV3Client: dynamoDb,
    }),
    maxAttempts,
  });
  const handler = middy<MSKEvent, void>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(consume);
  return (event, context) => handler(event, context);
}
