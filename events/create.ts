import { monotonicFactory } from 'ulid';
import type { EventEnvelope, TraceContext } from './envelope';
import { EventValidationError, summarizeIssues, toEventIssues } from './errors';
import {
  type DomainEventOf,
  type EventPayload,
  type EventType,
  type EventVersion,
  envelopeSchemaFor,
  isEventType,
  LATEST_VERSIONS,
  type LatestVersion,
} from './schemas';
import { continueTrace } from './trace';

/** Envelope fields a producer supplies; the rest is derived. */
export interface CreateEventMeta {
  /** Producing service, e.g. `order-service`. */
  source: string;
  /** The orderId. */
  aggregateId: string;
  /** Defaults to the new event's eventId (the first event of a saga). */
  correlationId?: string;
  /** Defaults to null (the first event of a saga). */
  causationId?: string | null;
  /** Becomes `occurredAt`, and the time part of a generated eventId. */
  now: Date;
  /** Defaults to a new monotonic ULID. */
  eventId?: string;
  /**
   * Defaults to a new trace context (`continueTrace()`): the current invocation's X-Ray header and a
   * `traceparent` in the X-Ray trace, or in a new trace. `causedBy` continues the parent's trace.
   */
  trace?: TraceContext;
}

/** Envelope fields that tie a follow-up event to the event that caused it. */
export interface CausationMeta {
  correlationId: string;
  causationId: string;
  aggregateId: string;
  now: Date;
  trace: TraceContext;
}

/**
 * Monotonic within this process: ids created in the same millisecond still increase, so outbox rows of
 * one aggregate (sort key = eventId) keep their creation order. If `now` goes backwards, the id keeps the
 * last time seen and still increases.
 */
const nextUlid = monotonicFactory();

function invalid(type: string, message: string, cause?: unknown): EventValidationError {
  return new EventValidationError(type, `Cannot create ${type}: ${message}`, [{ path: '', message }], {
    cause,
  });
}

/**
 * Builds and validates an event of the latest version of `type`. Throws `EventValidationError` (the zod
 * error as `cause`) when the payload or envelope fields are invalid.
 */
export function createEvent<T extends EventType>(
  type: T,
  payload: EventPayload<T>,
  meta: CreateEventMeta,
): DomainEventOf<T, LatestVersion<T> & EventVersion<T>> {
  if (!isEventType(type)) throw invalid(String(type), 'unknown event type');
  const version = LATEST_VERSIONS[type];
  const schema = envelopeSchemaFor(type, version);
  if (!schema) throw invalid(type, `version ${version} is not registered`);

  let occurredAt: string;
  let eventId: string;
  try {
    occurredAt = meta.now.toISOString();
    eventId = meta.eventId ?? nextUlid(meta.now.getTime());
  } catch (cause) {
    throw invalid(type, 'meta.now is not a valid date', cause);
  }

  const candidate: EventEnvelope = {
    eventId,
    eventType: type,
    eventVersion: version,
    occurredAt,
    source: meta.source,
    aggregateId: meta.aggregateId,
    correlationId: meta.correlationId ?? eventId,
    causationId: meta.causationId ?? null,
    trace: meta.trace ?? continueTrace(),
    payload,
  };

  const result = schema.safeParse(candidate);
  if (!result.success) {
    const issues = toEventIssues(result.error.issues);
    throw new EventValidationError(type, `Cannot create ${type}: ${summarizeIssues(issues)}`, issues, {
      cause: result.error,
    });
  }
  // Validated against the schema of exactly this type and version.
  return result.data as DomainEventOf<T, LatestVersion<T> & EventVersion<T>>;
}

/**
 * Envelope fields for an event emitted in reaction to `parent`: same saga (correlationId), caused by
 * the parent, same aggregate, and the parent's trace continued (same W3C trace id, a new span id, the
 * current invocation's X-Ray header). Spread into `createEvent`'s meta together with `source`.
 */
export function causedBy(
  parent: Pick<EventEnvelope, 'eventId' | 'correlationId' | 'aggregateId' | 'trace'>,
  now: Date,
): CausationMeta {
  return {
    correlationId: parent.correlationId,
    causationId: parent.eventId,
    aggregateId: parent.aggregateId,
    now,
    trace: continueTrace(parent.trace),
  };
}
