import * as z from 'zod';
import { IdSchema, TimestampSchema } from './common';

/**
 * ULID: 26 characters of Crockford base32 (no I, L, O, U). The first character is at most `7`,
 * because the 48-bit timestamp ends there. ULIDs sort by creation time.
 */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const UlidSchema = z.string().regex(ULID_PATTERN, 'Must be a ULID (26 characters, Crockford base32)');

/** W3C trace context and X-Ray header of the producer, carried so consumers can link their traces. */
export const TraceContextSchema = z
  .object({
    traceparent: z.string().min(1).max(512).optional(),
    xrayTraceHeader: z.string().min(1).max(1024).optional(),
  })
  .strict();
export type TraceContext = z.infer<typeof TraceContextSchema>;

/**
 * The envelope every event travels in. `payload` is validated separately against the schema registered
 * for `eventType` and `eventVersion` (see `EVENT_SCHEMAS`).
 */
export const EnvelopeSchema = z
  .object({
    /** Unique, sortable id of this event (ULID); consumers deduplicate on it. */
    eventId: UlidSchema,
    eventType: z.string().min(1).max(128),
    eventVersion: z.number().int().positive(),
    /** When the state change happened, ISO-8601 UTC. */
    occurredAt: TimestampSchema,
    /** Producing service, e.g. `order-service`. */
    source: z.string().min(1).max(128),
    /** The orderId; also the Kafka message key. */
    aggregateId: IdSchema,
    /** Same value for every event of one saga; the saga's first event uses its own eventId. */
    correlationId: IdSchema,
    /** eventId of the event that caused this one; null for a saga's first event. */
    causationId: IdSchema.nullable(),
    trace: TraceContextSchema.optional(),
    payload: z.unknown(),
  })
  .strict();

/** An envelope whose payload has not been checked yet. */
export type EventEnvelope = z.infer<typeof EnvelopeSchema>;

/** The envelope fields other than the event's identity (type, version) and payload. */
export type EnvelopeHeader = Omit<EventEnvelope, 'eventType' | 'eventVersion' | 'payload'>;
