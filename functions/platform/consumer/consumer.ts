import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, MSKEvent } from 'aws-lambda';
import { type DomainEvent, type DomainEventOf, type EventType, parseEvent } from '#events';
import { AppError, isRetryable, RetryableError } from '../errors';
import { logger, metricsOf } from '../powertools';
import { CONSUMER_METRICS } from './contract';
import { type DeadLetterStore, deadLetterUnparseable } from './dead-letters';
import { type ConsumedRecord, type DecodedRecord, decodeMskEvent } from './records';

export interface HandlerContext {
  now: Date;
  record: ConsumedRecord;
}

/**
 * Handlers per event type. CONTRACT for every handler: its business write must itself be conditional
 * and idempotent (a reservation item that must not exist yet, a status transition conditioned on the
 * allowed source statuses, a marker item per event), and when the effect is already there the handler
 * returns normally. The idempotency record completes only after the handler returns, so a crash between
 * the business write and that record makes the record run again; the conditional write is what keeps
 * that second run from applying the effect twice.
 */
export type EventHandlers = {
  [T in EventType]?: EventHandler<T>;
};

export type EventHandler<T extends EventType> = (
  event: DomainEventOf<T>,
  ctx: HandlerContext,
) => Promise<void>;

/** One handler for each event type a consumer's contract declares, and no other. */
export type HandlersFor<Consumes extends readonly EventType[]> = {
  [T in Consumes[number]]: EventHandler<T>;
};

/** Seconds an idempotency record of a processed event is kept (Kafka redelivery window). */
export const IDEMPOTENCY_EXPIRY_SECONDS = 7 * 24 * 3600;

export interface ConsumerSettings {
  service: string;
  handlers: EventHandlers;
  deadLetters: DeadLetterStore;
  persistenceStore: BasePersistenceLayer;
  /** Failed handler runs of one event before it becomes a dead letter. */
  maxAttempts: number;
  clock?: () => Date;
}

/** A handler failed and the event still has attempts left: the invocation fails so the batch is retried. */
export class RetryableConsumerError extends RetryableError {
  readonly code = 'CONSUMER_RETRY';
}

/** Marks an error thrown by a handler (as opposed to the idempotency layer); retryable as its cause. */
class HandlerFailure extends AppError {
  readonly code = 'HANDLER_FAILED';
  get retryable(): boolean {
    return isRetryable(this.cause);
  }
}

interface IdempotentInput {
  event: DomainEvent;
  record: ConsumedRecord;
  now: string;
}

const RECORD_KEYS = ['eventId', 'eventType', 'orderId', 'correlationId'];

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The consumer core, independent of the environment: processes an MSK event partition by partition,
 * records in offset order, one at a time (see `kafkaConsumerHandler` for the semantics).
 */
export function createConsumer(settings: ConsumerSettings) {
  const { service, handlers, deadLetters, maxAttempts } = settings;
  const clock = settings.clock ?? (() => new Date());
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'event.eventId',
    expiresAfterSeconds: IDEMPOTENCY_EXPIRY_SECONDS,
    throwOnNoIdempotencyKey: true,
  });

  let executed = false;
  const runHandler = async (input: IdempotentInput): Promise<{ eventId: string }> => {
    executed = true;
    const handler = handlers[input.event.eventType] as
      | ((event: DomainEvent, ctx: HandlerContext) => Promise<void>)
      | undefined;
    try {
      await handler?.(input.event, { now: new Date(input.now), record: input.record });
    } catch (error) {
      throw new HandlerFailure(messageOf(error), { cause: error });
    }
    return { eventId: input.event.eventId };
  };
  const runIdempotently = makeIdempotent(runHandler, {
    persistenceStore: settings.persistenceStore,
    config,
    keyPrefix: `order-saga-${service}`,
  });

  const count = metricsOf(CONSUMER_METRICS);

  async function processRecord(decoded: DecodedRecord): Promise<void> {
    const { record, value } = decoded;
    const now = clock();
    const parsed = parseEvent(value);
    if (!parsed.ok) {
      await deadLetterUnparseable(deadLetters, service, decoded, parsed.error, now);
      count('EventsDeadLettered');
      return;
    }

    const event = parsed.event;
    logger.appendKeys({
      eventId: event.eventId,
      eventType: event.eventType,
      orderId: event.aggregateId,
      correlationId: event.correlationId,
    });
    try {
      if (!handlers[event.eventType]) {
        logger.debug('no handler for this event type; skipped');
        return;
      }
      executed = false;
      try {
        await runIdempotently({ event, record, now: now.toISOString() });
      } catch (error) {
        if (!(error instanceof HandlerFailure)) {
          // The idempotency store failed or another invocation holds the event: retry the batch.
          throw new RetryableConsumerError(
            `Idempotency check failed for ${event.eventId}: ${messageOf(error)}`,
            {
              cause: error,
            },
          );
        }
        const retryable = error.retryable;
        const attempts = retryable ? await deadLetters.incrementAttempts(service, event.eventId, now) : 1;
        if (retryable && attempts < maxAttempts) {
          logger.warn('handler failed; the batch will be retried', {
            attempts,
            maxAttempts,
            error: error.cause as Error,
          });
          throw new RetryableConsumerError(
            `Handler for ${event.eventType} ${event.eventId} failed (attempt ${attempts} of ${maxAttempts})`,
            { cause: error.cause },
          );
        }
        const letter = await deadLetters.write(
          {
            service,
            record,
            rawValue: value,
            eventId: event.eventId,
            eventType: event.eventType,
            aggregateId: event.aggregateId,
            errorKind: retryable ? 'HANDLER_FAILED' : 'HANDLER_REJECTED',
            errorMessage: error.message,
            ...(error.cause instanceof AppError ? { errorCode: error.cause.code } : {}),
            attempts,
          },
          now,
        );
        count('EventsDeadLettered');
        logger.error(
          retryable
            ? 'handler failed for good; event dead-lettered'
            : 'handler rejected the event (not retryable); event dead-lettered',
          { deadLetterId: letter.id, attempts, error: error.cause as Error },
        );
        return;
      }
      if (executed) {
        count('EventsConsumed');
        logger.info('event consumed');
      } else {
        count('EventsSkippedDuplicate');
        logger.info('duplicate event skipped');
      }
    } finally {
      logger.removeKeys(RECORD_KEYS);
    }
  }

  return async function consume(event: Pick<MSKEvent, 'records'>, context: Context): Promise<void> {
    config.registerLambdaContext(context);
    for (const batch of decodeMskEvent(event)) {
      for (const record of batch.records) {
        await processRecord(record);
      }
    }
  };
}
