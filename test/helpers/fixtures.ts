import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, Context, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * Event fixtures under `test/fixtures/events/`, loaded as fresh copies so a test can change them
 * freely. Overrides are merged deeply: plain objects merge key by key, arrays and other values
 * replace what the fixture holds, and a key set to `undefined` is removed (e.g. to drop a header).
 */

const EVENTS_DIR = new URL('../fixtures/events/', import.meta.url);

export type Overrides<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: Overrides<T[K]> | undefined }
    : T;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: unknown, overrides: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overrides)) return overrides;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete merged[key];
    else merged[key] = merge(merged[key], value);
  }
  return merged;
}

/** A fixture file of `test/fixtures/events/`, with `overrides` merged in. */
export function loadFixture<T>(file: string, overrides?: Overrides<T>): T {
  const value = JSON.parse(readFileSync(new URL(file, EVENTS_DIR), 'utf8')) as unknown;
  return (overrides === undefined ? value : merge(value, overrides)) as T;
}

/** The subject of the signed-in customer of the API Gateway fixtures. */
export const CUSTOMER_SUB = '4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f';

/** A routed request based on the GET /orders/{orderId} fixture (same caller and headers). */
const routed = (httpMethod: string, resource: string, path: string): Overrides<APIGatewayProxyEvent> => ({
  resource,
  path,
  httpMethod,
  pathParameters: null,
  requestContext: { httpMethod, resourcePath: resource, path: `/prod${path}` },
});

const API_GATEWAY_EVENTS = {
  'POST /orders': ['api-gateway-post-orders.json', {}],
  'GET /orders/{orderId}': ['api-gateway-get-order.json', {}],
  'GET /orders': ['api-gateway-get-order.json', routed('GET', '/orders', '/orders')],
  'POST /orders/{orderId}/cancel': [
    'api-gateway-get-order.json',
    {
      ...routed('POST', '/orders/{orderId}/cancel', '/orders/01JN8S7QG0AAAAAAAAAAAAAAAA/cancel'),
      pathParameters: { orderId: '01JN8S7QG0AAAAAAAAAAAAAAAA' },
    },
  ],
  'GET /products': ['api-gateway-get-products.json', {}],
  'GET /products/{productId}': ['api-gateway-get-product.json', {}],
  'GET /admin/dead-letters': [
    'api-gateway-get-order.json',
    routed('GET', '/admin/dead-letters', '/admin/dead-letters'),
  ],
  'POST /admin/dead-letters/{id}/redrive': [
    'api-gateway-get-order.json',
    routed(
      'POST',
      '/admin/dead-letters/{id}/redrive',
      '/admin/dead-letters/01JN8S7QG0AAAAAAAAAAAAAAAA/redrive',
    ),
  ],
  'GET /admin/metrics': ['api-gateway-get-order.json', routed('GET', '/admin/metrics', '/admin/metrics')],
  'GET /cart': ['api-gateway-get-order.json', routed('GET', '/cart', '/cart')],
  'DELETE /cart': ['api-gateway-get-order.json', routed('DELETE', '/cart', '/cart')],
  'PUT /cart/items/{productId}': [
    'api-gateway-get-order.json',
    {
      ...routed('PUT', '/cart/items/{productId}', '/cart/items/11111111-1111-1111-1111-111111111111'),
      pathParameters: { productId: '11111111-1111-1111-1111-111111111111' },
      headers: { 'Content-Type': 'application/json' },
      body: '{"quantity":2}',
    },
  ],
  'POST /cart/checkout': [
    'api-gateway-post-orders.json',
    {
      ...routed('POST', '/cart/checkout', '/cart/checkout'),
      body: '{"payment":{"method":"card","token":"tok_ok"}}',
    },
  ],
  'GET /me': ['api-gateway-get-order.json', routed('GET', '/me', '/me')],
  'PUT /me': ['api-gateway-get-order.json', routed('PUT', '/me', '/me')],
  'PUT /admin/customers/{customerId}/status': [
    'api-gateway-get-order.json',
    routed(
      'PUT',
      '/admin/customers/{customerId}/status',
      '/admin/customers/4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f/status',
    ),
  ],
  'POST /admin/products': [
    'api-gateway-get-order.json',
    routed('POST', '/admin/products', '/admin/products'),
  ],
  'PUT /admin/products/{productId}/stock': [
    'api-gateway-get-order.json',
    routed(
      'PUT',
      '/admin/products/{productId}/stock',
      '/admin/products/44444444-4444-4444-4444-444444444444/stock',
    ),
  ],
} as const satisfies Record<string, readonly [string, Overrides<APIGatewayProxyEvent>]>;

export type ApiRoute = keyof typeof API_GATEWAY_EVENTS;

/**
 * An API Gateway (REST, proxy integration) event for one of the service's routes, signed in as the
 * customer `CUSTOMER_SUB` (the claims a Cognito user pool authorizer passes).
 */
export function apiGatewayEvent(
  route: ApiRoute,
  overrides?: Overrides<APIGatewayProxyEvent>,
): APIGatewayProxyEvent {
  const [file, base] = API_GATEWAY_EVENTS[route];
  return merge(loadFixture<APIGatewayProxyEvent>(file, base), overrides ?? {}) as APIGatewayProxyEvent;
}

/**
 * `requestContext` overrides for a caller: the claims API Gateway's Cognito authorizer passes (all
 * strings; groups comma-separated), or no authorizer at all for `null`.
 */
export function callerContext(
  caller: { sub: string; groups?: readonly string[]; username?: string; email?: string } | null,
): Overrides<APIGatewayProxyEvent> {
  if (caller === null) return { requestContext: { authorizer: null } };
  return {
    requestContext: {
      authorizer: {
        claims: {
          sub: caller.sub,
          'cognito:username': caller.username ?? caller.sub,
          email: caller.email,
          ...(caller.groups && caller.groups.length > 0 ? { 'cognito:groups': caller.groups.join(',') } : {}),
        },
      },
    },
  };
}

/** An admin of the back office (`admins` group). */
export const ADMIN_CALLER = {
  sub: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  groups: ['admins'],
  username: 'ops-admin',
};

/**
 * A DynamoDB stream event of the orders table with three outbox INSERTs, in stream order:
 * OrderCreated and OrderCancelled of order 01JN8S7QG0AAAAAAAAAAAAAAAA (the first carries an X-Ray
 * trace header), then OrderCreated of order 01JN8S7QG0BBBBBBBBBBBBBBBB.
 */
export function outboxStreamEvent(overrides?: Overrides<DynamoDBStreamEvent>): DynamoDBStreamEvent {
  return loadFixture<DynamoDBStreamEvent>('dynamodb-stream-outbox-inserts.json', overrides);
}

/** A Lambda context such as the runtime passes to a handler. */
export function lambdaContext(overrides: Partial<Context> = {}): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'order-service-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:order-service-test',
    memoryLimitInMB: '256',
    awsRequestId: '5f2c9a1e-0b7d-4c1e-9a55-0d2f8e7b1c43',
    logGroupName: '/aws/lambda/order-service-test',
    logStreamName: '2025/03/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}
