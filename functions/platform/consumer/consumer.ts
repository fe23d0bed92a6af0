import { AsyncLocalStorage } from 'node:async_hooks';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, MSKEvent } from 'aws-lambda';
import { type DomainEvent, type DomainEventOf, type EventType, parseEvent } from '#events';
import { AppError, classifyFailure, isRetryable, RetryableError } from '../errors';
import { inRecordScope, logger, metricsOf, type RecordScopeOptions, tracer } from '../powertools';
import { CONSUMER_METRICS } from './contract';
import { type DeadLetterStore, deadLetterUnparseable } from './dead-letters';
import { decodedOf, type ParkingLot } from './parking';
import { type ConsumedRecord, type DecodedRecord, decodeMskEvent } from './records';

export interface HandlerContext {
  now: Date;
  record: ConsumedRecord;
}

/**
 * Handlers per event type. CONTRACT for every handler: its business write must itself be conditional
 * and idempotent (a reservation item that must not exist yet, a status transition conditioned on the
 * allowed source statuses and version, a marker item per event), and when the effect is already there
 * the handler returns normally. With a persistence store, the idempotency record completes only after
 * the handler returns, so a crash between the business write and that record makes the record run
 * again; the conditional write is what keeps that second run from applying the effect twice. Without
 * one, every delivery of an event runs the handler, and the conditional write is the only idempotency.
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

/**
 * Seconds an idempotency record of a processed event is kept: longer than dead letters are (30 days),
 * so an event redriven late is still recognised as processed.
 */
export const IDEMPOTENCY_EXPIRY_SECONDS = 31 * 24 * 3600;

/** Parked records retried per sweep at most. */
export const PARKED_PER_SWEEP = 50;

export interface ConsumerSettings {
  service: string;
  handlers: EventHandlers;
  deadLetters: DeadLetterStore;
  parking: ParkingLot;
  /**
   * Where the Powertools idempotency records of processed events are kept. Without one, the handler
   * runs for every delivery of an event (a redelivery included) and its own conditional write is the
   * idempotency: a duplicate is then counted as consumed, not as `EventsSkippedDuplicate`.
   */
  persistenceStore?: BasePersistenceLayer | undefined;
  /** Unknown handler failures of one event before it becomes a dead letter. */
  maxAttempts: number;
  /**
   * Partitions of a batch processed at the same time, each still in offset order (default 1: one
   * after the other). Worth it where a handler mostly waits (a payment provider's answer) and records
   * of different partitions never touch the same item; where they do (one stock item), they would
   * only contend.
   */
  partitionConcurrency?: number;
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

/**
 * What became of one record:
 * - `DONE`: consumed, skipped as a duplicate or without a handler, or dead-lettered;
 * - `PARK`: a transient failure; the record waits outside its partition for a later retry;
 * - `RETRY`: an unknown failure with attempts left; the record is delivered again.
 */
type Outcome =
  | { kind: 'DONE' }
  | {
      kind: 'PARK';
      reason: string;
      errorCode?: string | undefined;
      notBefore?: Date | undefined;
      eventId: string;
      eventType: string;
      aggregateId: string;
    }
  | {
      kind: 'RETRY';
      reason: string;
      attempts: number;
      eventId: string;
      eventType: string;
      aggregateId: string;
    };

/** The partial batch response of a Kafka event source mapping (`ReportBatchItemFailures`). */
export interface KafkaBatchResponse {
  batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[];
}

export interface SweepOutcome {
  retried: number;
  done: number;
  parkedAgain: number;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The time an in-progress idempotency record of another (or a crashed) invocation expires. */
function inProgressExpiry(error: unknown): Date | undefined {
  const expiry = (error as { existingRecord?: { inProgressExpiryTimestamp?: number } }).existingRecord
    ?.inProgressExpiryTimestamp;
  return typeof expiry === 'number' ? new Date(expiry) : undefined;
}

/**
 * The consumer core, independent of the environment (see `kafkaConsumerHandler` for the semantics):
 * `consume` processes an MSK event partition by partition, records in offset order, one at a time,
 * and answers with a partial batch response; `sweepParked` retries the parked records that are due.
 */
export function createConsumer(settings: ConsumerSettings) {
  const { service, handlers, deadLetters, parking, maxAttempts } = settings;
  const clock = settings.clock ?? (() => new Date());
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'event.eventId',
    expiresAfterSeconds: IDEMPOTENCY_EXPIRY_SECONDS,
    throwOnNoIdempotencyKey: true,
  });

  const partitionConcurrency = settings.partitionConcurrency ?? 1;
  if (!Number.isInteger(partitionConcurrency) || partitionConcurrency < 1) {
    throw new RangeError(`partitionConcurrency must be a positive integer, got ${partitionConcurrency}`);
  }
  /** Whether the handler ran for the record being processed (rather than the record being a duplicate). */
  const execution = new AsyncLocalStorage<{ executed: boolean }>();
  const runHandler = async (input: IdempotentInput): Promise<{ eventId: string }> => {
    const run = execution.getStore();
    if (run) run.executed = true;
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
  const runIdempotently = settings.persistenceStore
    ? makeIdempotent(runHandler, {
        persistenceStore: settings.persistenceStore,
        config,
        keyPrefix: `order-saga-${service}`,
      })
    : runHandler;

  const count = metricsOf(CONSUMER_METRICS);

  async function deadLetter(
    decoded: DecodedRecord,
    event: DomainEvent,
    failure: HandlerFailure,
    kind: 'HANDLER_FAILED' | 'HANDLER_REJECTED',
    attempts: number,
    now: Date,
  ): Promise<Outcome> {
    const letter = await deadLetters.write(
      {
        service,
        record: decoded.record,
        rawValue: decoded.value,
        eventId: event.eventId,
        eventType: event.eventType,
        aggregateId: event.aggregateId,
        errorKind: kind,
        errorMessage: failure.message,
        ...(failure.cause instanceof AppError ? { errorCode: failure.cause.code } : {}),
        attempts,
      },
      now,
    );
    count('EventsDeadLettered');
    logger.error(
      kind === 'HANDLER_FAILED'
        ? 'handler failed for good; event dead-lettered'
        : 'handler rejected the event (retrying cannot help); event dead-lettered',
      { deadLetterId: letter.id, attempts, error: failure.cause as Error },
    );
    return { kind: 'DONE' };
  }

  /** Processes one record and says what became of it; only storage failures throw. */
  async function processRecord(
    decoded: DecodedRecord,
    now: Date,
    scopeOptions: RecordScopeOptions = {},
  ): Promise<Outcome> {
    const parsed = parseEvent(decoded.value);
    if (!parsed.ok) {
      await deadLetterUnparseable(deadLetters, service, decoded, parsed.error, now);
      count('EventsDeadLettered');
      return { kind: 'DONE' };
    }
    const event = parsed.event;
    const about = { eventId: event.eventId, eventType: event.eventType, aggregateId: event.aggregateId };
    const scope = {
      eventId: event.eventId,
      eventType: event.eventType,
      orderId: event.aggregateId,
      correlationId: event.correlationId,
      trace: event.trace,
    };
    return inRecordScope(
      scope,
      async (): Promise<Outcome> => {
        if (!handlers[event.eventType]) {
          logger.debug('no handler for this event type; skipped');
          return { kind: 'DONE' };
        }
        const run = { executed: false };
        try {
          await execution.run(run, () =>
            runIdempotently({ event, record: decoded.record, now: now.toISOString() }),
          );
        } catch (error) {
          if (!(error instanceof HandlerFailure)) {
            // Another invocation holds the event (or a crashed one left it in progress), or the
            // idempotency store failed: wait it out, without using up any attempt. (Only with a
            // persistence store: without one, every error comes from the handler.)
            return {
              kind: 'PARK',
              ...about,
              reason: `Idempotency check did not pass: ${messageOf(error)}`,
              notBefore: inProgressExpiry(error),
            };
          }
          switch (classifyFailure(error.cause)) {
            case 'permanent':
              return await deadLetter(decoded, event, error, 'HANDLER_REJECTED', 1, now);
            case 'transient':
              logger.warn('handler failed for a reason that passes; the event is parked', {
                error: error.cause as Error,
              });
              return {
                kind: 'PARK',
                ...about,
                reason: error.message,
                errorCode: error.cause instanceof AppError ? error.cause.code : undefined,
              };
            case 'unknown': {
              const attempts = await deadLetters.incrementAttempts(service, event.eventId, now);
              if (attempts >= maxAttempts) {
                return await deadLetter(decoded, event, error, 'HANDLER_FAILED', attempts, now);
              }
              logger.warn('handler failed; the event will be delivered again', {
                attempts,
                maxAttempts,
                error: error.cause as Error,
              });
              return { kind: 'RETRY', ...about, reason: error.message, attempts };
            }
          }
        }
        if (run.executed) {
          count('EventsConsumed');
          logger.info('event consumed');
        } else {
          count('EventsSkippedDuplicate');
          logger.info('duplicate event skipped');
        }
        return { kind: 'DONE' };
      },
      scopeOptions,
    );
  }

  /**
   * Processes an MSK event. Each partition's records run in offset order (partitions one after the
   * other, or up to `partitionConcurrency` at a time); a record that must be
   * delivered again (`RETRY`) stops its partition for this invocation and is reported in the partial
   * batch response, so the event source mapping redelivers from it while other partitions move on.
   */
  async function consume(event: Pick<MSKEvent, 'records'>, context: Context): Promise<KafkaBatchResponse> {
    config.registerLambdaContext(context);
    const failures: KafkaBatchResponse['batchItemFailures'] = [];
    const batches = decodeMskEvent(event);
    const concurrent = partitionConcurrency > 1 && batches.length > 1;
    // Records processed side by side each get a subsegment of the invocation's segment.
    const scopeOptions: RecordScopeOptions = concurrent
      ? { withinSegment: tracer.isTracingEnabled() ? tracer.getSegment() : undefined }
      : {};
    const consumePartition = async (batch: (typeof batches)[number]) => {
      for (const decoded of batch.records) {
        const now = clock();
        const outcome = await processRecord(decoded, now, scopeOptions);
        if (outcome.kind === 'PARK') {
          await parking.park({ service, decoded, ...outcome }, now);
          count('EventsParked');
          continue;
        }
        if (outcome.kind === 'RETRY') {
          failures.push({
            itemIdentifier: {
              partition: `${batch.topic}-${batch.partition}`,
              offset: Number(decoded.record.offset),
            },
          });
          break;
        }
      }
    };
    // Up to `partitionConcurrency` partitions at a time, each in offset order.
    const queue = [...batches];
    const lane = async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) await consumePartition(batch);
    };
    await Promise.all(Array.from({ length: concurrent ? partitionConcurrency : 1 }, lane));
    return { batchItemFailures: failures };
  }

  /**
   * Retries the parked records of this service that are due, while the invocation has time left:
   * a record that is done is released; one that fails again is parked again with a longer wait (an
   * unknown failure also counts against its attempts, and becomes a dead letter at the limit).
   */
  async function sweepParked(context: Context): Promise<SweepOutcome> {
    config.registerLambdaContext(context);
    const outcome: SweepOutcome = { retried: 0, done: 0, parkedAgain: 0 };
    const due = await parking.due(service, clock(), PARKED_PER_SWEEP);
    count('ParkedDue', due.length);
    for (const item of due) {
      if (context.getRemainingTimeInMillis() < 10_000) break;
      const now = clock();
      outcome.retried += 1;
      const result = await processRecord(decodedOf(item), now);
      if (result.kind === 'DONE') {
        await parking.release(item);
        outcome.done += 1;
        continue;
      }
      await parking.park(
        {
          service,
          decoded: decodedOf(item),
          eventId: item.eventId,
          eventType: item.eventType,
          aggregateId: item.aggregateId,
          reason: result.reason,
          ...(result.kind === 'PARK' ? { errorCode: result.errorCode, notBefore: result.notBefore } : {}),
          parkCount: item.parkCount,
          redrivenBy: item.redrivenBy,
        },
        now,
      );
      outcome.parkedAgain += 1;
    }
    if (outcome.retried > 0) logger.info('parked records retried', { ...outcome });
    return outcome;
  }

  return { consume, sweepParked };
}
