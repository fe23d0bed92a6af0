import { cancellationCodes } from './dynamo';

/**
 * The error base every function-side error extends. Each error says two things a caller decides by:
 *
 * - `code`: a machine-readable reason (shown in API error bodies and dead letters, used in logs);
 * - `retryable`: whether the same operation may succeed later (a dependency down, a lost race, an
 *   event that arrived before its precondition) or never will (bad input, a broken invariant).
 *   The Kafka consumer framework dead-letters a record at once for a non-retryable error and retries
 *   a retryable one; API handlers answer 5xx/409 for retryable and 4xx for the rest.
 *
 * Errors meant for API clients also carry an HTTP status and safe `details`. Nothing internal (stack
 * traces, table names, SDK messages) ever reaches a response body: those stay in `cause` for the logs.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An operation that may succeed when tried again (a dependency, contention, an early event). */
export abstract class RetryableError extends AppError {
  readonly retryable = true;
}

/** An operation that will fail the same way however often it is tried. */
export abstract class PermanentError extends AppError {
  readonly retryable = false;
}

/** Configuration the function cannot start without is missing or malformed. */
export class ConfigurationError extends PermanentError {
  readonly code = 'CONFIGURATION_ERROR';
}

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

/** An error with a client-facing status, code, message and details. */
export class HttpError extends AppError {
  readonly code: string;
  readonly statusCode: number;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: { details?: ErrorDetail[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.statusCode = statusCode;
    this.code = code;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }

  /** Server errors, throttling and a request still in progress may succeed when sent again. */
  get retryable(): boolean {
    return this.statusCode >= 500 || this.statusCode === 429 || this.code === 'REQUEST_IN_PROGRESS';
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetail[], cause?: unknown) =>
  new HttpError(400, code, message, { details, cause });

export const notFound = (message: string) => new HttpError(404, 'NOT_FOUND', message);

const RETRYABLE_CANCELLATIONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

/**
 * Whether an error is worth retrying: an `AppError` says so itself; an AWS SDK error is retryable when
 * the SDK marks it so or it is a throttle or a server fault; anything else (a bug, an unknown failure)
 * is treated as retryable, so it is retried a bounded number of times before it is dead-lettered.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AppError) return error.retryable;
  const codes = cancellationCodes(error);
  if (codes.length > 0) return codes.some((code) => RETRYABLE_CANCELLATIONS.has(code));
  const sdk = error as { $retryable?: unknown; $fault?: unknown; name?: unknown } | undefined;
  if (sdk?.$retryable) return true;
  if (sdk?.$fault === 'client') {
    return (
      typeof sdk.name === 'string' &&
      /Throttl|TooManyRequests|LimitExceeded|ProvisionedThroughputExceeded|TransactionInProgress|Conflict/.test(
        sdk.name,
      )
    );
  }
  return true;
}

/**
 * How a consumer treats a failure:
 * - `transient`: a known condition that passes by itself (a dependency down, an open circuit,
 *   contention, throttling, an event ahead of its precondition): waited out, never dead-lettered;
 * - `permanent`: retrying cannot help (bad input, a broken invariant, an SDK validation error):
 *   dead-lettered at once;
 * - `unknown`: anything else (a bug, an unclassified failure): retried a bounded number of times,
 *   then dead-lettered.
 */
export type FailureClass = 'transient' | 'permanent' | 'unknown';

export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof AppError) return error.retryable ? 'transient' : 'permanent';
  const sdk = error as { $metadata?: unknown; name?: unknown } | undefined;
  const isSdkError = typeof sdk === 'object' && sdk !== null && '$metadata' in sdk;
  if (isSdkError || cancellationCodes(error).length > 0)
    return isRetryable(error) ? 'transient' : 'permanent';
  return 'unknown';
}
