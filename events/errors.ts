/** One validation problem: a dotted path into the event (e.g. `payload.lines.0.quantity`) and a message. */
export interface EventIssue {
  path: string;
  message: string;
}

export type EventParseErrorKind =
  | 'NOT_JSON'
  | 'INVALID_ENVELOPE'
  | 'UNKNOWN_EVENT_TYPE'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_PAYLOAD';

export interface EventParseErrorOptions {
  cause?: unknown;
  eventId?: string | undefined;
  eventType?: string | undefined;
  eventVersion?: number | undefined;
}

/**
 * A record that is not a valid event. Consumers send it to the dead-letter store; `kind` says why, and
 * `eventId`/`eventType`/`eventVersion` are set when the envelope was readable.
 */
export class EventParseError extends Error {
  override readonly name = 'EventParseError';
  readonly kind: EventParseErrorKind;
  readonly issues: EventIssue[];
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly eventVersion: number | undefined;

  constructor(
    kind: EventParseErrorKind,
    message: string,
    issues: EventIssue[],
    options: EventParseErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.issues = issues;
    this.eventId = options.eventId;
    this.eventType = options.eventType;
    this.eventVersion = options.eventVersion;
  }
}

/** A producer tried to create an event that does not match its schema. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  readonly eventType: string;
  readonly issues: EventIssue[];

  constructor(eventType: string, message: string, issues: EventIssue[], options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.eventType = eventType;
    this.issues = issues;
  }
}

/** Converts zod issues to `EventIssue`s, optionally under a path prefix. */
export function toEventIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: PropertyKey[] = [],
): EventIssue[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path].map((segment) => String(segment)).join('.'),
    message: issue.message,
  }));
}

/** One-line summary of issues for error messages. */
export function summarizeIssues(issues: readonly EventIssue[]): string {
  const shown = issues
    .slice(0, 3)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return `${shown.join('; ')}${more}`;
}
