import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, MSKEvent } from 'aws-lambda';
import type { EventType } from '#events';
import { documentClient, dynamoDb } from '../clients';
import { ContractError, type ServiceName } from '../contract';
import { instrumented, metrics } from '../powertools';
import {
  type ConsumerSettings,
  createConsumer,
  type EventHandlers,
  type HandlersFor,
  type KafkaBatchResponse,
  type SweepOutcome,
} from './consumer';
import { DeadLetterStore } from './dead-letters';
import { ParkingLot } from './parking';

export type {
  EventHandlers,
  HandlerContext,
  HandlersFor,
  KafkaBatchResponse,
  SweepOutcome,
} from './consumer';
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
  /** Present when the contract keeps Powertools idempotency records (`idempotency: 'powertools'`). */
  readonly IDEMPOTENCY_TABLE_NAME?: string;
  readonly DEAD_LETTER_TABLE_NAME: string;
  readonly CONSUMER_MAX_ATTEMPTS: number;
}

/** EventBridge's scheduled event: the consumer's schedule asks it to retry its parked records. */
interface ScheduledEvent {
  readonly 'detail-type': 'Scheduled Event';
}

const isScheduled = (event: unknown): event is ScheduledEvent =>
  (event as { 'detail-type'?: unknown } | null)?.['detail-type'] === 'Scheduled Event';

/**
 * A Lambda handler for an MSK event source mapping, also run every minute by its schedule.
 *
 * For an MSK event, per partition, in offset order, one record at a time (partitions one after the
 * other, or up to `options.partitionConcurrency` at a time):
 * 1. the value is parsed with `parseEvent`; a record that is not a valid event becomes a dead letter
 *    (`errorKind` = the parse error kind) and the partition moves on;
 * 2. an event type the service has no handler for is skipped;
 * 3. with `IDEMPOTENCY_TABLE_NAME` (a contract of `idempotency: 'powertools'`), the handler runs inside
 *    Powertools idempotency keyed on the envelope's eventId (records of that table, kept longer than
 *    dead letters), so a redelivered event is skipped; without it (`idempotency: 'handler'`) the
 *    handler runs for every delivery and its own conditional write keeps a redelivered event from
 *    taking effect twice;
 * 4. a handler failure is classified (`classifyFailure`):
 *    - permanent (retrying cannot help): the event becomes a dead letter at once (`HANDLER_REJECTED`);
 *    - transient (a dependency down, an open circuit, contention, an event ahead of its
 *      precondition), or an event another invocation holds in progress (a crashed one included): the
 *      record is parked outside its partition and retried by the schedule with a growing wait, never
 *      dead-lettered, and the partition moves on;
 *    - unknown: an attempt counter for (service, eventId) in `DEAD_LETTER_TABLE_NAME` goes up; below
 *      `CONSUMER_MAX_ATTEMPTS` the record is reported in the partial batch response, so the event
 *      source mapping delivers it again (its partition stops here, the others move on); at the limit
 *      it becomes a dead letter (`HANDLER_FAILED`).
 *
 * Steps 2 to 4 of a record run in its scope (`inRecordScope`): an X-Ray subsegment annotated with the
 * event's `orderId`, `correlationId` and `eventType`, and those keys (with the `eventId`) on every log
 * line written meanwhile, the handler's included, and on no line of another record.
 *
 * For the scheduled event, the parked records that are due are retried the same way.
 *
 * `handlers` has one handler per event type of the contract's `consumes`. Handlers must follow the
 * contract described on `EventHandlers`. Metrics: `CONSUMER_METRICS`, under the service's dimension.
 */
export function kafkaConsumerHandler<C extends ConsumerContract>(
  contract: C,
  env: ConsumerEnv,
  handlers: HandlersFor<C['consumes']>,
  options: Pick<ConsumerSettings, 'partitionConcurrency'> = {},
): (event: MSKEvent | ScheduledEvent, context: Context) => Promise<KafkaBatchResponse | SweepOutcome> {
  const { service } = contract;
  if (service === undefined) throw new ContractError(`Consumer ${contract.name} names no service`);
  metrics.setDefaultDimensions({ service });
  const consumer = createConsumer({
    service,
    handlers: handlers as EventHandlers,
    deadLetters: new DeadLetterStore(documentClient, env.DEAD_LETTER_TABLE_NAME),
    parking: new ParkingLot(documentClient, env.DEAD_LETTER_TABLE_NAME),
    persistenceStore:
      env.IDEMPOTENCY_TABLE_NAME === undefined
        ? undefined
        : new DynamoDBPersistenceLayer({ tableName: env.IDEMPOTENCY_TABLE_NAME, awsSdkV3Client: dynamoDb }),
    maxAttempts: env.CONSUMER_MAX_ATTEMPTS,
    ...options,
  });
  return instrumented<MSKEvent | ScheduledEvent, KafkaBatchResponse | SweepOutcome>((event, context) =>
    isScheduled(event) ? consumer.sweepParked(context) : consumer.consume(event, context),
  );
}
