import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, MSKEvent } from 'aws-lambda';
import type { EventType } from '#events';
import { documentClient, dynamoDb } from '../clients';
import { ContractError, type ServiceName } from '../contract';
import { instrumented, metrics } from '../powertools';
import { createConsumer, type EventHandlers, type HandlersFor } from './consumer';
import { DeadLetterStore } from './dead-letters';

export type { EventHandlers, HandlerContext, HandlersFor } from './consumer';
export { RetryableConsumerError } from './consumer';
export type { ConsumedRecord } from './records';

/** What the framework needs of a consumer's contract (see `defineConsumer`). */
export interface ConsumerContract {
  readonly name: string;
  readonly service: ServiceName | undefined;
  readonly consumes: readonly EventType[];
}

/** What the consumer framework reads of a consumer's environment (`readEnv` of its contract). */
export interface ConsumerEnv {
  readonly IDEMPOTENCY_TABLE_NAME: string;
  readonly DEAD_LETTER_TABLE_NAME: string;
  readonly CONSUMER_MAX_ATTEMPTS: number;
}

/**
 * A Lambda handler for an MSK event source mapping. For each partition of the batch, in offset order,
 * one record at a time:
 *
 * 1. the value is parsed with `parseEvent`; a record that is not a valid event becomes a dead letter
 *    (`errorKind` = the parse error kind) and the partition moves on;
 * 2. an event type the service has no handler for is skipped;
 * 3. the handler runs inside Powertools idempotency keyed on the envelope's eventId (records of
 *    `IDEMPOTENCY_TABLE_NAME`, kept 7 days), so a redelivered event is skipped;
 * 4. when the handler throws an error that retrying cannot fix (`isRetryable` is false), the event
 *    becomes a dead letter at once (`HANDLER_REJECTED`); any other error increments a counter of
 *    attempts for (service, eventId) in `DEAD_LETTER_TABLE_NAME`: below `CONSUMER_MAX_ATTEMPTS` the
 *    invocation fails and the event source mapping retries the batch (records already done are
 *    skipped by idempotency); at the limit the event becomes a dead letter (`HANDLER_FAILED`) and the
 *    partition moves on.
 *
 * `handlers` has one handler per event type of the contract's `consumes`. Handlers must follow the
 * contract described on `EventHandlers`. Metrics: `CONSUMER_METRICS`, under the service's dimension.
 */
export function kafkaConsumerHandler<C extends ConsumerContract>(
  contract: C,
  env: ConsumerEnv,
  handlers: HandlersFor<C['consumes']>,
): (event: MSKEvent, context: Context) => Promise<void> {
  const { service } = contract;
  if (service === undefined) throw new ContractError(`Consumer ${contract.name} names no service`);
  metrics.setDefaultDimensions({ service });
  const consume = createConsumer({
    service,
    handlers: handlers as EventHandlers,
    deadLetters: new DeadLetterStore(documentClient, env.DEAD_LETTER_TABLE_NAME),
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: env.IDEMPOTENCY_TABLE_NAME,
      awsSdkV3Client: dynamoDb,
    }),
    maxAttempts: env.CONSUMER_MAX_ATTEMPTS,
  });
  return instrumented<MSKEvent, void>(consume);
}
