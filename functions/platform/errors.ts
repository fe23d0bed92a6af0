/**
 * Error types shared by all functions. Every error carries a machine-readable `code`; errors meant
 * for API clients also carry an HTTP status and safe `details`. Nothing internal (stack traces,
 * table names, SDK messages) ever reaches a response body: those stay in `cause` for the logs.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration the function cannot start without is missing or malformed. */
export class ConfigurationError extends AppError {
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
}

export const badRequest = (code: string, message: string, details?: ErrorDetail[], cause?: unknown) =>
  new HttpError(400, code, message, { details, cause });

export const notFound = (message: string) => new HttpError(404, 'NOT_FOUND', message);
