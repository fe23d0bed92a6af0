import { EnvelopeSchema } from './envelope';
import { EventParseError, summarizeIssues, toEventIssues } from './errors';
import { type DomainEvent, isEventType, payloadSchemaFor, versionsOf } from './schemas';

export type ParseResult = { ok: true; event: DomainEvent } | { ok: false; error: EventParseError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function failure(error: EventParseError): ParseResult {
  return { ok: false, error };
}

function decodeJson(
  input: string | Uint8Array,
): { ok: true; value: unknown } | { ok: false; error: EventParseError } {
  try {
    const text = typeof input === 'string' ? input : utf8.decode(input);
    return { ok: true, value: JSON.parse(text) };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return {
      ok: false,
      error: new EventParseError('NOT_JSON', `Event is not valid JSON: ${message}`, [{ path: '', message }], {
        cause,
      }),
    };
  }
}

function validate(value: unknown): ParseResult {
  const envelope = EnvelopeSchema.safeParse(value);
  if (!envelope.success) {
    const issues = toEventIssues(envelope.error.issues);
    return failure(
      new EventParseError('INVALID_ENVELOPE', `Invalid event envelope: ${summarizeIssues(issues)}`, issues, {
        cause: envelope.error,
      }),
    );
  }
  const { eventId, eventType, eventVersion, payload } = envelope.data;
  const context = { eventId, eventType, eventVersion };

  if (!isEventType(eventType)) {
    const message = `Unknown event type "${eventType}"`;
    return failure(
      new EventParseError('UNKNOWN_EVENT_TYPE', message, [{ path: 'eventType', message }], context),
    );
  }

  const schema = payloadSchemaFor(eventType, eventVersion);
  if (!schema) {
    const message = `${eventType} has no version ${eventVersion} (supported: ${versionsOf(eventType).join(', ')})`;
    return failure(
      new EventParseError('UNSUPPORTED_VERSION', message, [{ path: 'eventVersion', message }], context),
    );
  }

  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issues = toEventIssues(parsed.error.issues, ['payload']);
    return failure(
      new EventParseError(
        'INVALID_PAYLOAD',
        `Invalid ${eventType} v${eventVersion} payload: ${summarizeIssues(issues)}`,
        issues,
        { ...context, cause: parsed.error },
      ),
    );
  }

  // The envelope and the payload schema registered for (eventType, eventVersion) both passed.
  return { ok: true, event: { ...envelope.data, payload: parsed.data } as DomainEvent };
}

/**
 * Validates a record as a domain event before any effect is applied. Accepts JSON text, UTF-8 bytes
 * (e.g. a decoded Kafka record value) or an already parsed value. Checks, in order: JSON, envelope,
 * known event type, known version, payload. Never throws: every failure is returned as an
 * `EventParseError` whose `kind` tells which check failed.
 */
export function parseEvent(input: unknown): ParseResult {
  try {
    if (typeof input === 'string' || input instanceof Uint8Array) {
      const decoded = decodeJson(input);
      if (!decoded.ok) return failure(decoded.error);
      return validate(decoded.value);
    }
    return validate(input);
  } catch (cause) {
    // Reached only for hostile inputs, e.g. objects whose getters throw.
    const message = cause instanceof Error ? cause.message : String(cause);
    return failure(
      new EventParseError(
        'INVALID_ENVELOPE',
        `Event could not be read: ${message}`,
        [{ path: '', message }],
        {
          cause,
        },
      ),
    );
  }
}
