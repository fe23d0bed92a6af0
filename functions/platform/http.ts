import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HttpError } from './errors';
import { instrumented, logger } from './powertools';

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: HttpError, requestId?: string): APIGatewayProxyResult {
  return json(
    error.statusCode,
    {
      error: {
        code: error.code,
        message: error.message,
        details: error.details,
        ...(requestId ? { requestId } : {}),
      },
    },
    error.headers,
  );
}

/** Header lookup that ignores case, as HTTP does. */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

/**
 * The path prefix the client called the API under, to put in front of the API's own paths in
 * `Location` headers and links: `/v1` through API Gateway's execute-api URL (the stage), the base path
 * mapping of a custom domain, or nothing when the API is served at the root. It is what the called
 * path (`requestContext.path`) has before the resource path (`path`); anything unexpected yields ''.
 */
export function basePathOf(event: Pick<APIGatewayProxyEvent, 'path' | 'requestContext'>): string {
  const called = event.requestContext?.path;
  const resource = event.path;
  if (typeof called !== 'string' || typeof resource !== 'string' || !called.endsWith(resource)) return '';
  const prefix = called.slice(0, called.length - resource.length);
  return BASE_PATH.test(prefix) ? prefix : '';
}

/**
 * Turns thrown errors into responses: an HttpError becomes its status and JSON error body, anything
 * else a 500 with a generic message. The cause is logged, never returned.
 */
export const httpErrors = (): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    const { error } = request;
    const requestId = request.event.requestContext?.requestId;
    if (error instanceof HttpError) {
      logger.info('request rejected', {
        code: error.code,
        statusCode: error.statusCode,
        details: error.details,
      });
      request.response = errorResponse(error, requestId);
      return;
    }
    logger.error('request failed', { error: error as Error });
    request.response = errorResponse(
      new HttpError(500, 'INTERNAL_ERROR', 'The request could not be processed. Retry later.'),
      requestId,
    );
  },
});

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Composes an API handler with the project's middleware: tracing (without the response, which holds
 * customer data), logging context, metrics, errors.
 */
export function apiHandler(handler: ApiHandler) {
  return instrumented(handler, {
    coldStartMetric: true,
    captureResponse: false,
    middlewares: [httpErrors()],
  });
}

export interface JsonBodyOptions {
  maxBytes: number;
}

/**
 * Reads a JSON request body: requires `Content-Type: application/json`, enforces a size limit and
 * reports malformed JSON with the position the parser gave.
 */
export function parseJsonBody(event: APIGatewayProxyEvent, { maxBytes }: JsonBodyOptions): unknown {
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', {
      details: [
        { path: 'headers.content-type', message: `received ${contentType ? `"${contentType}"` : 'none'}` },
      ],
    });
  }
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body must be at most ${maxBytes} bytes`, {
      details: [{ path: 'body', message: `received ${size} bytes` }],
    });
  }
  if (text.trim() === '') {
    throw new HttpError(400, 'MALFORMED_JSON', 'Request body is empty; a JSON object is required');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new HttpError(400, 'MALFORMED_JSON', 'Request body is not valid JSON', {
      details: [{ path: 'body', message: cause instanceof Error ? cause.message : 'unparseable' }],
      cause,
    });
  }
}
