import { logger, metricsOf } from '../powertools';
import { OUTBOX_METRICS } from './contract';
import type { EventProducer, OutboundMessage } from './producer';
import type { OutboxRow } from './row';
import type { OutboxStore } from './store';

const count = metricsOf(OUTBOX_METRICS);

export interface PublishOutcome {
  /** Rows acknowledged by the event bus, in input order. */
  published: number;
  /** Index of the first row that was not acknowledged; it and every later row must be retried. */
  failedAt?: number;
  error?: Error;
}

interface EnvelopeHeaders {
  correlationId?: string;
  causationId?: string | null;
  eventVersion?: number;
  trace?: { traceparent?: string; xrayTraceHeader?: string };
}

/** Kafka headers carry what a consumer needs before it parses the body, plus trace context. */
export function toMessage(row: OutboxRow): OutboundMessage {
  const envelope = JSON.parse(row.event) as EnvelopeHeaders;
  const headers: Record<string, string> = { eventId: row.eventId, eventType: row.eventType };
  if (envelope.eventVersion !== undefined) headers.eventVersion = String(envelope.eventVersion);
  if (envelope.correlationId) headers.correlationId = envelope.correlationId;
  if (envelope.causationId) headers.causationId = envelope.causationId;
  if (envelope.trace?.traceparent) headers.traceparent = envelope.trace.traceparent;
  if (envelope.trace?.xrayTraceHeader) headers['X-Amzn-Trace-Id'] = envelope.trace.xrayTraceHeader;
  return { topic: row.topic, key: row.messageKey, value: row.event, headers };
}

/**
 * Publishes outbox rows in order, in chunks, and marks each acknowledged chunk published. Stops at
 * the first chunk the bus does not acknowledge so nothing after it overtakes it. Used by the stream
 * relay and by the sweeper alike.
 */
export class OutboxPublisher {
  constructor(
    private readonly producer: EventProducer,
    private readonly store: OutboxStore,
    private readonly options: { chunkSize: number } = { chunkSize: 100 },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async publish(rows: readonly OutboxRow[]): Promise<PublishOutcome> {
    let published = 0;
    for (let start = 0; start < rows.length; start += this.options.chunkSize) {
      const chunk = rows.slice(start, start + this.options.chunkSize);
      try {
        await this.producer.send(chunk.map(toMessage));
      } catch (error) {
        logger.error('outbox publish failed; rows stay unpublished', {
          error: error as Error,
          failedAt: start,
          pending: rows.length - start,
        });
        count('OutboxPublishFailures', rows.length - start);
        return { published, failedAt: start, error: error as Error };
      }
      published += chunk.length;
      const now = this.clock();
      count('OutboxPublished', chunk.length);
      for (const row of chunk) count('OutboxPublishLagMs', now.getTime() - Date.parse(row.createdAt));
      try {
        await this.store.markPublished(chunk, now);
      } catch (error) {
        // Already on the bus: a row left unmarked is republished by the sweeper, and consumers
        // deduplicate by eventId, so this must not fail the batch (that would publish it again now).
        logger.warn('published rows could not be marked; the sweeper will republish them', {
          error: error as Error,
          eventIds: chunk.map((row) => row.eventId),
        });
      }
    }
    return { published };
  }
}
