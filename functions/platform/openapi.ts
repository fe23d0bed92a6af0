import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { ADMIN_GROUP } from './auth';

/**
 * The building blocks of the API's OpenAPI document that every service's routes share: the security
 * scheme, the error body, every error code with its status, and the answers API Gateway gives itself
 * for every route. Each service describes its routes with `apiRoute` (`functions/<service>/openapi.ts`),
 * from the zod schemas its handlers validate with; `functions/openapi.ts` assembles the document.
 */

/** The security scheme of every signed-in route: an ID token of the user pool (or of the OIDC issuer). */
export const ID_TOKEN_SCHEME = 'idToken';

/** Every error code of the API, with the status it comes with and an example message. */
export const ERROR_CODES = {
  MISSING_PARAMETER: { status: 400, message: 'Missing required request parameters: [Idempotency-Key]' },
  MISSING_IDEMPOTENCY_KEY: { status: 400, message: 'The Idempotency-Key header is required' },
  INVALID_IDEMPOTENCY_KEY: { status: 400, message: 'The Idempotency-Key header is malformed' },
  MALFORMED_JSON: { status: 400, message: 'Request body is not valid JSON' },
  VALIDATION_FAILED: { status: 400, message: 'The order request is invalid' },
  INVALID_QUERY: { status: 400, message: 'limit must be an integer from 1 to 100' },
  INVALID_ORDER_ID: { status: 400, message: 'The order id is malformed' },
  INVALID_PRODUCT_ID: { status: 400, message: 'The product id is malformed' },
  INVALID_DEAD_LETTER_ID: { status: 400, message: 'The dead-letter id is malformed' },
  INVALID_CUSTOMER_ID: { status: 400, message: 'The customer id is malformed' },
  UNAUTHORIZED: { status: 401, message: 'Sign in: a valid ID token is required in the Authorization header' },
  INVALID_SIGNATURE: { status: 401, message: 'A valid X-Carrier-Signature header is required' },
  FORBIDDEN: { status: 403, message: 'This route is only for members of the admins group' },
  CUSTOMER_SUSPENDED: { status: 403, message: 'The customer account is suspended: no new orders' },
  NOT_FOUND: { status: 404, message: 'Order 01ARZ3NDEKTSV4RRFFQ69G5FAV does not exist' },
  UNKNOWN_SHIPMENT: { status: 404, message: 'No shipment with this id and tracking number' },
  PRODUCT_NOT_FOUND: {
    status: 404,
    message: 'Product 99999999-9999-9999-9999-999999999999 is not in the catalog',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    message: 'This Idempotency-Key was already used with a different request body',
  },
  REQUEST_IN_PROGRESS: { status: 409, message: 'Another request with this Idempotency-Key is in progress' },
  ALREADY_REDRIVEN: { status: 409, message: 'Dead letter 01JN8S7QWWHQQKNETG34RA0AAA was already redriven' },
  NOT_REDRIVABLE: { status: 409, message: 'Dead letter 01JN8S7QWWHQQKNETG34RA0AAA cannot be redriven' },
  ORDER_NOT_CANCELLABLE: { status: 409, message: 'An order in SHIPPED cannot be cancelled' },
  ORDER_BUSY: { status: 409, message: 'The order is changing; retry the cancellation' },
  CART_CHANGED: { status: 409, message: 'The cart changed while it was checked out; nothing was ordered' },
  PRODUCT_EXISTS: { status: 409, message: 'Product 44444444-4444-4444-4444-444444444444 already exists' },
  STOCK_MISMATCH: { status: 409, message: 'The stock is 12, not the expected 10' },
  STOCK_WOULD_BE_NEGATIVE: { status: 409, message: 'The stock is 3: taking 5 would leave it below zero' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body must be at most 16384 bytes' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Content-Type must be application/json' },
  UNKNOWN_PRODUCT: { status: 422, message: 'One or more products do not exist in the catalog' },
  MIXED_CURRENCIES: { status: 422, message: 'All products of one order must share a currency' },
  CART_EMPTY: { status: 422, message: 'The cart is empty: there is nothing to check out' },
  CART_FULL: { status: 422, message: 'A cart holds at most 50 products' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests. Retry later.' },
  INTERNAL_ERROR: { status: 500, message: 'The request could not be processed. Retry later.' },
  TIMEOUT: { status: 504, message: 'The request timed out. Retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What each error status means, whatever the route. */
const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid (see `details`); nothing was written',
  401: 'No valid ID token in `Authorization` (missing, malformed, expired, of another client or issuer, an access token); on the carrier API, no valid signature',
  403: 'Not allowed: not in the group the route needs, a suspended customer, or blocked by the web ACL (prod)',
  404: 'No such resource, or one of another customer (answered alike)',
  409: 'A conflict with an earlier or concurrent request',
  413: 'The request body is too large',
  415: 'The request body is not `application/json`',
  422: 'The catalog cannot price the order, or the cart cannot take the change or be checked out as it is',
  429: "Over the API's rate limits; retry later",
  500: 'Something unexpected; details are only in the logs',
  502: 'The function failed (on AWS); details are only in the logs',
  504: 'The function did not answer in time; retry later',
};

/** Codes a status may carry on a route (a 502 carries INTERNAL_ERROR, as API Gateway renders it). */
export type RouteErrors = Readonly<Partial<Record<number, readonly ErrorCode[]>>>;

const DETAIL = z
  .looseObject({
    path: z.string().optional().describe('where in the request, e.g. `items.0.quantity`'),
    message: z.string(),
  })
  .meta({ id: 'ErrorDetail' });

/** The body of every 4xx and 5xx answer, with the codes it may carry. */
export const errorBodySchema = (codes: readonly [ErrorCode, ...ErrorCode[]]) =>
  z.strictObject({
    error: z.strictObject({
      code: z.enum(codes),
      message: z.string(),
      details: z.array(DETAIL),
      requestId: z.string().optional().describe("the API's request id (absent on API Gateway's own answers)"),
    }),
  });

const EXAMPLE_REQUEST_ID = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';

function errorResponse(status: number, codes: readonly ErrorCode[]): ResponseConfig {
  const [first, ...rest] = [...new Set(codes)].sort();
  if (first === undefined) throw new OpenApiDefinitionError(`The ${status} answer names no error code`);
  return {
    description: STATUS_DESCRIPTIONS[status] ?? `HTTP ${status}`,
    ...(codes.includes('REQUEST_IN_PROGRESS')
      ? {
          headers: z.object({
            'Retry-After': z.string().optional().describe('seconds to wait (REQUEST_IN_PROGRESS)'),
          }),
        }
      : {}),
    content: {
      'application/json': {
        schema: errorBodySchema([first, ...rest]),
        examples: Object.fromEntries(
          [first, ...rest].map((code) => [
            code,
            {
              value: {
                error: {
                  code,
                  message: ERROR_CODES[code].message,
                  details:
                    code === 'VALIDATION_FAILED'
                      ? [{ path: 'items.0.quantity', message: 'quantity must be at least 1' }]
                      : [],
                  requestId: EXAMPLE_REQUEST_ID,
                },
              },
            },
          ]),
        ),
      },
    },
  };
}

/** A route's definition was inconsistent (a code under the wrong status); found when the document is built. */
export class OpenApiDefinitionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OpenApiDefinitionError';
  }
}

/**
 * Who may call a route: everybody (`public`), a signed-in customer (`customer`), or a signed-in member
 * of the admins group (`admin`).
 */
export type RouteAccess = 'public' | 'customer' | 'admin';

/** What API Gateway itself may answer on a route of this access, before or instead of its function. */
function gatewayErrors(access: RouteAccess): RouteErrors {
  return {
    ...(access === 'public' ? {} : { 401: ['UNAUTHORIZED'] }),
    403: ['FORBIDDEN'],
    429: ['TOO_MANY_REQUESTS'],
    500: ['INTERNAL_ERROR'],
    502: ['INTERNAL_ERROR'],
    504: ['TIMEOUT'],
  };
}

export interface ApiRouteConfig extends Omit<RouteConfig, 'security' | 'responses'> {
  readonly access: RouteAccess;
  /** The answers of success (and any other non-error answer, such as a 503 health report). */
  readonly responses: Record<number, ResponseConfig>;
  /** The error codes the function answers with, by status. */
  readonly errors?: RouteErrors;
}

/** A JSON answer with its schema and an example. */
export const jsonResponse = (description: string, schema: z.ZodType, example: unknown): ResponseConfig => ({
  description,
  content: { 'application/json': { schema, example } },
});

/**
 * A route of the API: its success answers, every error status with every code it may carry (the
 * function's and API Gateway's), and its security (none, an ID token, an ID token of the admins group).
 */
export function apiRoute({ access, errors = {}, responses, ...route }: ApiRouteConfig): RouteConfig {
  const statuses = new Map<number, ErrorCode[]>();
  for (const source of [errors, gatewayErrors(access)]) {
    for (const [status, codes] of Object.entries(source)) {
      for (const code of codes ?? []) {
        const expected = ERROR_CODES[code].status;
        if (expected !== Number(status) && !(code === 'INTERNAL_ERROR' && Number(status) === 502)) {
          throw new OpenApiDefinitionError(
            `${route.method.toUpperCase()} ${route.path}: ${code} is a ${expected}, not a ${status}`,
          );
        }
      }
      statuses.set(Number(status), [...(statuses.get(Number(status)) ?? []), ...(codes ?? [])]);
    }
  }
  const errorResponses = Object.fromEntries(
    [...statuses].sort(([a], [b]) => a - b).map(([status, codes]) => [status, errorResponse(status, codes)]),
  );
  return {
    ...route,
    security: access === 'public' ? [] : [{ [ID_TOKEN_SCHEME]: access === 'admin' ? [ADMIN_GROUP] : [] }],
    responses: { ...responses, ...errorResponses },
  };
}
