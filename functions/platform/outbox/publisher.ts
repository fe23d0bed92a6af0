import { ALL_TOPICS } from '#events';
import { RetryableError } from '../errors';
import { inRecordScope, logger, metricsOf, type RecordScope } from '../powertools';
import { OUTBOX_METRICS } from './contract';
import {
  type EventProducer,
  MessageRejectedError,
  type OutboundMessage,
  PublishDeadlineError,
} from './producer';
import type { OutboxRow, StoredOutboxRow } from './row';
import type { OutboxStore } from './store';

const count = metricsOf(OUTBOX_METRICS);

/** An event that can never be published could not be kept as a quarantined row; retry the batch. */
export class QuarantineFailedError extends RetryableError {
  readonly code = 'QUARANTINE_FAILED';
}
const KNOWN_TOPICS: ReadonlySet<string> = new Set(ALL_TOPICS);

export interface PublishOutcome {
  /** Rows acknowledged by the event bus. */
  published: number;
  /** Rows that can never be published, taken out of the unpublished index (see `defectOf`). */
  quarantined: number;
  /** Index of the first row that was not acknowledged; it and every later row must be retried. */
  failedAt?: number;
  error?: Error;
}

export interface PublishOptions {
  /**
   * Epoch milliseconds by which `publish` must return (the caller's time budget): no chunk is started
   * after it, and a send still waiting for Kafka then counts as not acknowledged.
   */
  deadline?: number;
}

interface EnvelopeHeaders {
  correlationId?: string;
  causationId?: string | null;
  eventVersion?: number;
  trace?: { traceparent?: string; xrayTraceHeader?: string };
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * Why a stored row can never be published, or undefined when it can: every field the message is
 * built from must be there, the topic must be one of the platform's, and the event must be a JSON
 * object (the envelope). Retrying such a row cannot help, so it must not hold up the rows after it.
 */
export function defectOf(row: StoredOutboxRow): string | undefined {
  if (!isText(row.topic)) return 'MISSING_TOPIC';
  if (!KNOWN_TOPICS.has(row.topic)) return 'UNKNOWN_TOPIC';
  if (!isText(row.messageKey)) return 'MISSING_KEY';
  if (!isText(row.eventId)) return 'MISSING_EVENT_ID';
  if (!isText(row.event)) return 'MISSING_EVENT';
  try {
    const envelope = JSON.parse(row.event) as unknown;
    if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope))
      return 'EVENT_NOT_AN_OBJECT';
  } catch {
    return 'EVENT_NOT_JSON';
  }
  return undefined;
}

/** Kafka headers carry what a consumer needs before it parses the body, plus trace context. */
export function toMessage(row: OutboxRow): OutboundMessage {
  const envelope = JSON.parse(row.event) as EnvelopeHeaders;
  const headers: Record<string, string> = { eventId: row.eventId };
  if (isText(row.eventType)) headers.eventType = row.eventType;
  if (envelope.eventVersion !== undefined) headers.eventVersion = String(envelope.eventVersion);
  if (envelope.correlationId) headers.correlationId = envelope.correlationId;
  if (envelope.causationId) headers.causationId = envelope.causationId;
  if (envelope.trace?.traceparent) headers.traceparent = envelope.trace.traceparent;
  if (envelope.trace?.xrayTraceHeader) headers['X-Amzn-Trace-Id'] = envelope.trace.xrayTraceHeader;
  return { topic: row.topic, key: row.messageKey, value: row.event, headers };
}

/**
 * The record scope of a published row (see `inRecordScope`): its event, order, and the correlationId
 * and trace of its envelope.
 */
export function scopeOf(row: OutboxRow): RecordScope {
  let envelope: EnvelopeHeaders = {};
  try {
    envelope = JSON.parse(row.event) as EnvelopeHeaders;
  } catch {
    // A row reaches here only after `defectOf` found its event to be JSON.
  }
  return {
    eventId: row.eventId,
    eventType: isText(row.eventType) ? row.eventType : 'unknown',
    orderId: isText(row.aggregateId) ? row.aggregateId : row.messageKey,
    correlationId: isText(envelope.correlationId) ? envelope.correlationId : undefined,
    trace: envelope.trace,
  };
}

/** A row to publish with its position in the caller's list. */
interface Indexed {
  index: number;
  row: OutboxRow;
}

/**
 * Publishes outbox rows in order, in chunks, and marks each acknowledged chunk published. Stops at
 * the first chunk the bus does not acknowledge so nothing after it overtakes it. Failures are
 * isolated per row: a row that can never be published (malformed, an unknown topic, or a message the
 * bus rejects as such) is quarantined, and the rows after it go on. Used by the stream relay and by
 * the sweeper alike. Each published row is logged ('event published') in its record scope
 * (`inRecordScope`: its correlationId, orderId and eventId on the line, an annotated X-Ray subsegment).
 */
export class OutboxPublisher {
  constructor(
    private readonly producer: EventProducer,
    private readonly store: OutboxStore,
    private readonly options: { chunkSize: number } = { chunkSize: 100 },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async publish(rows: readonly StoredOutboxRow[], options: PublishOptions = {}): Promise<PublishOutcome> {
    const outcome: PublishOutcome = { published: 0, quarantined: 0 };
    const valid: Indexed[] = [];
    for (const [index, row] of rows.entries()) {
      const defect = defectOf(row);
      if (defect === undefined) valid.push({ index, row: row as OutboxRow });
      else await this.quarantine(row, defect, outcome);
    }
    for (let start = 0; start < valid.length; start += this.options.chunkSize) {
      const chunk = valid.slice(start, start + this.options.chunkSize);
      const failed = await this.publishChunk(chunk, options, outcome);
      if (failed) {
        const pending = valid.length - valid.indexOf(failed.at);
        logger.error('outbox publish failed; rows stay unpublished', {
          error: failed.error,
          failedAt: failed.at.index,
          pending,
        });
        count('OutboxPublishFailures', pending);
        return { ...outcome, failedAt: failed.at.index, error: failed.error };
      }
    }
    return outcome;
  }

  /**
   * Sends one chunk. When the bus rejects a message of it as such, the chunk is sent again one row
   * at a time, so that only the rejected row is quarantined. Returns the first row not acknowledged.
   */
  private async publishChunk(
    chunk: readonly Indexed[],
    options: PublishOptions,
    outcome: PublishOutcome,
  ): Promise<{ at: Indexed; error: Error } | undefined> {
    const first = chunk[0] as Indexed;
    if (options.deadline !== undefined && Date.now() >= options.deadline) {
      return {
        at: first,
        error: new PublishDeadlineError('The time budget ran out before this chunk was sent'),
      };
    }
    try {
      await this.producer.send(
        chunk.map(({ row }) => toMessage(row)),
        options.deadline === undefined ? {} : { deadline: options.deadline },
      );
    } catch (error) {
      if (!(error instanceof MessageRejectedError)) return { at: first, error: error as Error };
      if (chunk.length === 1) {
        await this.quarantine(first.row, error.reason, outcome);
        return undefined;
      }
      for (const single of chunk) {
        const failed = await this.publishChunk([single], options, outcome);
        if (failed) return failed;
      }
      return undefined;
    }
    await this.markPublished(chunk.map(({ row }) => row));
    outcome.published += chunk.length;
    return undefined;
  }

  private async markPublished(rows: readonly OutboxRow[]): Promise<void> {
    const now = this.clock();
    count('OutboxPublished', rows.length);
    for (const row of rows) {
      const lagMs = now.getTime() - Date.parse(row.createdAt);
      count('OutboxPublishLagMs', lagMs);
      await inRecordScope(scopeOf(row), async () => {
        logger.info('event published', { topic: row.topic, publishLagMs: lagMs });
      });
    }
    try {
      await this.store.markPublished(rows, now);
    } catch (error) {
      // Already on the bus: a row left unmarked is republished by the sweeper, and consumers
      // deduplicate by eventId, so this must not fail the batch (that would publish it again now).
      logger.warn('published rows could not be marked; the sweeper will republish them', {
        error: error as Error,
        eventIds: rows.map((row) => row.eventId),
      });
    }
  }

  /** Takes a row that can never be published out of the unpublished index, counted and logged. */
  private async quarantine(row: StoredOutboxRow, reason: string, outcome: PublishOutcome): Promise<void> {
    outcome.quarantined += 1;
    count('OutboxQuarantined');
    logger.error('outbox row can never be published; quarantined', { pk: row.pk, sk: row.sk, reason });
    try {
      await this.store.quarantine(row, reason, this.clock());
    } catch (error) {
      // An event on a state item has no row yet: failing the batch keeps it in the stream, so the
      // relay writes its row on the retry.
      if (row.embedded) {
        throw new QuarantineFailedError(`The row of event ${row.sk} could not be kept`, { cause: error });
      }
      // It stays in the unpublished index: the sweeper finds it again and quarantines it then.
      logger.warn('a quarantined row could not be marked; the sweeper will try again', {
        error: error as Error,
        pk: row.pk,
        sk: row.sk,
      });
    }
  }
}

/**
 * The deadline of a publish inside a Lambda invocation: the time the invocation has left, less a
 * margin (a tenth of it, at least one second) to report the outcome before the function times out.
 */
export function deadlineFor(
  context: { getRemainingTimeInMillis(): number },
  now: number = Date.now(),
): number {
  const remaining = context.getRemainingTimeInMillis();
  return now + remaining - Math.max(1_000, Math.floor(remaining / 10));
}
