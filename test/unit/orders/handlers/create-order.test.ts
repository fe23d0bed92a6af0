import '#test/unit/setup-env';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/orders/handlers/create-order';
import type { IdempotencyItem } from '#functions/orders/model';
import { logger } from '#platform/powertools';
import { apiGatewayEvent, CUSTOMER_SUB, callerContext, lambdaContext } from '#test/helpers/fixtures';
import { HUB, MOUSE, PRODUCTS, transactionCanceled } from '#test/unit/helpers/dynamodb';
import { outboxEntryOf } from '#test/unit/helpers/outbox';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const REQUEST_ID = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
/** The fixture's client called the stage `prod` of the execute-api URL (`requestContext.path`). */
const ORDER_LOCATION = /^\/prod\/orders\/[0-9A-HJKMNP-TV-Z]{26}$/;
const VALID_BODY = {
  items: [
    { productId: '11111111-1111-1111-1111-111111111111', quantity: 2 },
    { productId: '33333333-3333-3333-3333-333333333333', quantity: 1 },
  ],
  payment: { method: 'card', token: 'tok_ok' },
};

const postOrders = (overrides?: Parameters<typeof apiGatewayEvent>[1]) =>
  apiGatewayEvent('POST /orders', overrides);
const withBody = (body: unknown) => postOrders({ body: JSON.stringify(body) });

function headerOf(result: APIGatewayProxyResult, name: string): string | number | boolean | undefined {
  const entry = Object.entries(result.headers ?? {}).find(
    ([key]) => key.toLowerCase() === name.toLowerCase(),
  );
  return entry?.[1];
}

function errorOf(result: APIGatewayProxyResult) {
  return (
    JSON.parse(result.body) as {
      error: {
        code: string;
        message: string;
        details: { path?: string; message: string }[];
        requestId?: string;
      };
    }
  ).error;
}

function expectNoWrites() {
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
}

describe('Handler: create-order', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.productsTable]: [...PRODUCTS] } });
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(GetCommand, { TableName: TEST_ENV.customersTable }).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  describe('accepted orders', () => {
    it('puts the base path the client called in front of the Location and the links', async () => {
      // Prepare
      const event = postOrders({ path: '/orders', requestContext: { path: '/v1/orders' } });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      const location = String(headerOf(result, 'location'));
      expect(location).toMatch(/^\/v1\/orders\/[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(JSON.parse(result.body).links).toEqual({ self: location });
    });

    it('returns 202 with the order and its Location', async () => {
      // Prepare
      const event = postOrders();

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(202);
      const location = headerOf(result, 'location');
      expect(location).toMatch(ORDER_LOCATION);
      expect(headerOf(result, 'content-type')).toBe('application/json; charset=utf-8');
      expect(headerOf(result, 'idempotent-replayed')).toBeUndefined();
      const body = JSON.parse(result.body);
      expect(body).toMatchObject({
        orderId: String(location).slice('/prod/orders/'.length),
        customerId: CUSTOMER_SUB,
        status: 'PENDING',
        total: { amountMinor: 9997, currency: 'EUR' },
        payment: { method: 'card' },
        links: { self: location },
      });
      expect(result.body).not.toContain('tok_ok');
    });

    it('writes the order to the orders table under the Idempotency-Key of the request', async () => {
      // Prepare
      const event = postOrders({ headers: { 'Idempotency-Key': '  order-2025-03-01:42  ' } });

      // Act
      await handler(event, lambdaContext());

      // Assess
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items.map((item) => item.Put?.TableName)).toEqual([TEST_ENV.ordersTable, TEST_ENV.ordersTable]);
      expect(items[0]?.Put?.Item?.pk).toBe(`IDEMPOTENCY#${CUSTOMER_SUB}#order-2025-03-01:42`);
      expect(items[1]?.Put?.Item).toMatchObject({ entity: 'ORDER', customerId: CUSTOMER_SUB });
      expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems).toHaveProperty(
        TEST_ENV.productsTable,
      );
    });

    it('accepts a Content-Type with parameters and in any case', async () => {
      // Prepare
      const event = postOrders({
        headers: { 'Content-Type': undefined, 'content-type': 'Application/JSON; charset=UTF-8' },
      });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(202);
    });

    it('accepts a base64-encoded body', async () => {
      // Prepare
      const event = postOrders({
        body: Buffer.from(JSON.stringify(VALID_BODY)).toString('base64'),
        isBase64Encoded: true,
      });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(202);
    });

    it('accepts a body of exactly 16 KiB', async () => {
      // Prepare
      const body = JSON.stringify(VALID_BODY).padEnd(16 * 1024, ' ');
      const event = postOrders({ body });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(Buffer.byteLength(body)).toBe(16_384);
      expect(result.statusCode).toBe(202);
    });

    it('puts the X-Ray trace header of the invocation into the OrderCreated event', async () => {
      // Prepare
      const traceHeader = 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1';
      vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader);

      // Act
      await handler(postOrders(), lambdaContext());

      // Assess
      const row = outboxEntryOf(
        ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Put?.Item,
      );
      expect(JSON.parse(row.event)).toMatchObject({ trace: { xrayTraceHeader: traceHeader } });
    });
  });

  describe("the customer's standing", () => {
    const profile = (status: 'ACTIVE' | 'SUSPENDED') => ({
      customerId: CUSTOMER_SUB,
      entity: 'CUSTOMER',
      name: 'Alice',
      email: 'alice@example.com',
      phone: '+15555550123',
      notifications: { email: true, sms: true },
      status,
      createdAt: '2025-03-01T11:00:00.000Z',
      updatedAt: '2025-03-01T11:00:00.000Z',
      version: 2,
    });

    it("reads the caller's profile with one eventually consistent GetItem", async () => {
      // Act
      await handler(postOrders(), lambdaContext());

      // Assess
      const reads = ddb
        .commandCalls(GetCommand)
        .filter((call) => call.args[0].input.TableName === TEST_ENV.customersTable);
      expect(reads.map((call) => call.args[0].input)).toEqual([
        { TableName: TEST_ENV.customersTable, Key: { customerId: CUSTOMER_SUB } },
      ]);
    });

    it("keeps an active customer's contact details and preferences on the order", async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: TEST_ENV.customersTable }).resolves({ Item: profile('ACTIVE') });

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(202);
      const order = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Put?.Item;
      expect(order?.recipient).toEqual({
        customerId: CUSTOMER_SUB,
        name: 'Alice',
        email: 'alice@example.com',
        phone: '+15555550123',
        notifications: { email: true, sms: true },
      });
    });

    it("treats a customer without a profile as active, with the token's email", async () => {
      // Prepare
      const event = postOrders(callerContext({ sub: CUSTOMER_SUB, email: 'new@example.com' }));

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(202);
      const order = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Put?.Item;
      expect(order?.recipient).toEqual({
        customerId: CUSTOMER_SUB,
        name: 'new',
        email: 'new@example.com',
        notifications: { email: true, sms: false },
      });
    });

    it('returns 403 CUSTOMER_SUSPENDED to a suspended customer, and writes nothing', async () => {
      // Prepare
      ddb.on(GetCommand, { TableName: TEST_ENV.customersTable }).resolves({ Item: profile('SUSPENDED') });

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(403);
      expect(errorOf(result)).toMatchObject({ code: 'CUSTOMER_SUSPENDED', requestId: REQUEST_ID });
      expect(result.body).not.toContain(TEST_ENV.customersTable);
      expectNoWrites();
    });
  });

  describe('logs', () => {
    it('logs the new order with its orderId and the correlationId of its saga', async () => {
      // Prepare
      const lines: Record<string, unknown>[] = [];
      vi.spyOn(console, 'info').mockImplementation((line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      });
      const level = logger.getLevelName();
      logger.setLogLevel('INFO');
      // Each invocation but the first sets the level back to the configured one (SILENT in tests).
      vi.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);

      // Act
      try {
        await handler(postOrders(), lambdaContext());
      } finally {
        logger.setLogLevel(level);
      }

      // Assess
      const row = outboxEntryOf(
        ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[1]?.Put?.Item,
      );
      expect(lines.find((line) => line.message === 'order created')).toMatchObject({
        orderId: row.aggregateId,
        correlationId: row.eventId,
      });
    });
  });

  describe('repeated Idempotency-Key', () => {
    const stored = (requestHash: string): IdempotencyItem => ({
      pk: `IDEMPOTENCY#${CUSTOMER_SUB}#6a1f0c0e-7c1b-4f4e-9a52-2f4d2b8f6c11`,
      sk: 'IDEMPOTENCY',
      entity: 'IDEMPOTENCY',
      requestHash,
      orderId: '01JN8S7QG0ZZZZZZZZZZZZZZZZ',
      statusCode: 202,
      responseBody: '{"orderId":"01JN8S7QG0ZZZZZZZZZZZZZZZZ","status":"PENDING"}',
      location: '/orders/01JN8S7QG0ZZZZZZZZZZZZZZZZ',
      createdAt: '2025-03-01T11:59:00.000Z',
      expiresAt: 4_102_444_800,
    });

    it('replays the stored response with Idempotent-Replayed: true', async () => {
      // Prepare: the first request stores its hash; the same request then collides with it
      await handler(postOrders(), lambdaContext());
      const first = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item;
      const record = stored(String(first?.requestHash));
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));
      ddb.on(GetCommand, { TableName: TEST_ENV.ordersTable }).resolves({ Item: record });

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(202);
      expect(headerOf(result, 'idempotent-replayed')).toBe('true');
      expect(headerOf(result, 'location')).toBe(record.location);
      expect(result.body).toBe(record.responseBody);
    });

    it('returns 409 IDEMPOTENCY_KEY_REUSED when the key was used for another request, and writes nothing', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));
      ddb.on(GetCommand, { TableName: TEST_ENV.ordersTable }).resolves({ Item: stored('0'.repeat(64)) });
      const event = postOrders({ headers: { 'Idempotency-Key': 'order-2025-03-01:42' } });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(409);
      expect(errorOf(result)).toEqual({
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'This Idempotency-Key was already used with a different request body',
        details: [
          {
            path: 'headers.idempotency-key',
            message: 'use a new key for a different order (key "order-2025-03-01:42")',
          },
        ],
        requestId: REQUEST_ID,
      });
      expect(headerOf(result, 'location')).toBeUndefined();
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('returns 409 REQUEST_IN_PROGRESS with Retry-After when concurrent requests keep winning', async () => {
      // Prepare: no backoff delay between the attempts
      vi.spyOn(Math, 'random').mockReturnValue(0);
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('TransactionConflict', 'None', 'None'));

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(409);
      expect(headerOf(result, 'retry-after')).toBe('1');
      expect(errorOf(result)).toEqual({
        code: 'REQUEST_IN_PROGRESS',
        message: 'Another request with this Idempotency-Key is in progress',
        details: [],
        requestId: REQUEST_ID,
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(7);
    });
  });

  describe('rejected requests', () => {
    it.each([
      ['no Idempotency-Key header', { 'Idempotency-Key': undefined }],
      ['a blank Idempotency-Key', { 'Idempotency-Key': '   ' }],
    ])('returns 400 MISSING_IDEMPOTENCY_KEY for %s, and writes nothing', async (_, headers) => {
      // Prepare
      const event = postOrders({ headers });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toEqual({
        code: 'MISSING_IDEMPOTENCY_KEY',
        message: 'The Idempotency-Key header is required',
        details: [{ path: 'headers.idempotency-key', message: 'send a unique key per order, e.g. a UUID' }],
        requestId: REQUEST_ID,
      });
      expectNoWrites();
    });

    it.each([
      ['spaces inside', 'my key'],
      ['a slash', 'orders/42'],
      ['129 characters', 'k'.repeat(129)],
      ['non-ASCII letters', 'clé'],
    ])('returns 400 INVALID_IDEMPOTENCY_KEY for a key with %s, and writes nothing', async (_, key) => {
      // Prepare
      const event = postOrders({ headers: { 'Idempotency-Key': key } });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toMatchObject({
        code: 'INVALID_IDEMPOTENCY_KEY',
        details: [
          { path: 'headers.idempotency-key', message: '1-128 characters of letters, digits and . _ : -' },
        ],
      });
      expectNoWrites();
    });

    it.each([
      ['text/plain', { 'Content-Type': 'text/plain' }, 'received "text/plain"'],
      [
        'form data',
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        'received "application/x-www-form-urlencoded"',
      ],
      ['no content type', { 'Content-Type': undefined }, 'received none'],
    ])('returns 415 for %s, and writes nothing', async (_, headers, detail) => {
      // Prepare
      const event = postOrders({ headers });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(415);
      expect(errorOf(result)).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type must be application/json',
        details: [{ path: 'headers.content-type', message: detail }],
      });
      expectNoWrites();
    });

    it('returns 400 VALIDATION_FAILED for a body that names a customer, and writes nothing', async () => {
      // Prepare
      const event = withBody({ ...VALID_BODY, customerId: 'someone-else' });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [
          {
            path: 'customerId',
            message: 'customerId is not accepted: an order belongs to the signed-in customer',
          },
        ],
      });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('returns 401 UNAUTHORIZED when the request carries no verified caller, and reads or writes nothing', async () => {
      // Prepare
      const event = postOrders(callerContext(null));

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(401);
      expect(errorOf(result)).toMatchObject({ code: 'UNAUTHORIZED', details: [] });
      expect(ddb.calls()).toHaveLength(0);
    });

    it('returns 413 for a body over 16 KiB, and writes nothing', async () => {
      // Prepare
      const event = postOrders({ body: JSON.stringify(VALID_BODY).padEnd(16 * 1024 + 1, ' ') });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(413);
      expect(errorOf(result)).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: 'Request body must be at most 16384 bytes',
        details: [{ path: 'body', message: 'received 16385 bytes' }],
      });
      expectNoWrites();
    });

    it('counts the limit in UTF-8 bytes, not characters', async () => {
      // Prepare: 6000 three-byte characters are 18000 bytes
      const event = withBody({ ...VALID_BODY, note: '€'.repeat(6000) });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(413);
      expectNoWrites();
    });

    it.each([
      ['truncated JSON', '{"customerId": "customer-42", '],
      ['single quotes', "{'customerId': 'customer-42'}"],
    ])('returns 400 MALFORMED_JSON for %s with the parser position, and writes nothing', async (_, body) => {
      // Prepare
      const event = postOrders({ body });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      const error = errorOf(result);
      expect(error).toMatchObject({ code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' });
      expect(error.details).toEqual([{ path: 'body', message: expect.stringMatching(/position|JSON/) }]);
      expectNoWrites();
    });

    it.each([
      ['an empty body', ''],
      ['a blank body', '  \n '],
      ['no body', null],
    ])('returns 400 MALFORMED_JSON for %s, and writes nothing', async (_, body) => {
      // Prepare
      const event = postOrders({ body });

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toMatchObject({
        code: 'MALFORMED_JSON',
        message: 'Request body is empty; a JSON object is required',
      });
      expectNoWrites();
    });

    it.each([
      [
        'a client-supplied price',
        { ...VALID_BODY, items: [{ productId: 'p-1', quantity: 1, unitPrice: 1 }] },
        [{ path: 'items.0', message: 'unknown field(s) unitPrice; prices and names come from the catalog' }],
      ],
      [
        'a zero quantity and a bad token',
        {
          ...VALID_BODY,
          items: [{ productId: 'p-1', quantity: 0 }],
          payment: { method: 'card', token: 'x' },
        },
        [
          { path: 'items.0.quantity', message: 'quantity must be at least 1' },
          { path: 'payment.token', message: 'payment.token must be a PSP token such as tok_ok' },
        ],
      ],
      ['a JSON array', [VALID_BODY], [{ path: '', message: 'body must be a JSON object' }]],
    ])('returns 400 VALIDATION_FAILED with details for %s, and writes nothing', async (_, body, details) => {
      // Prepare
      const event = withBody(body);

      // Act
      const result = await handler(event, lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toEqual({
        code: 'VALIDATION_FAILED',
        message: 'The order request is invalid',
        details,
        requestId: REQUEST_ID,
      });
      expectNoWrites();
      expect(ddb.calls()).toHaveLength(0);
    });

    it('returns 422 UNKNOWN_PRODUCT when the catalog does not have a product, and writes nothing', async () => {
      // Prepare
      ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.productsTable]: [] } });

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(422);
      expect(errorOf(result)).toEqual({
        code: 'UNKNOWN_PRODUCT',
        message: 'One or more products do not exist in the catalog',
        details: [
          {
            path: 'items.0.productId',
            message: 'unknown product 11111111-1111-1111-1111-111111111111',
            productId: '11111111-1111-1111-1111-111111111111',
          },
          {
            path: 'items.1.productId',
            message: 'unknown product 33333333-3333-3333-3333-333333333333',
            productId: '33333333-3333-3333-3333-333333333333',
          },
        ],
        requestId: REQUEST_ID,
      });
      expectNoWrites();
    });

    it('names only the unknown line of an order whose other products exist', async () => {
      // Prepare
      ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.productsTable]: [MOUSE] } });

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(422);
      expect(errorOf(result).details).toEqual([
        {
          path: 'items.1.productId',
          message: 'unknown product 33333333-3333-3333-3333-333333333333',
          productId: '33333333-3333-3333-3333-333333333333',
        },
      ]);
      expectNoWrites();
    });

    it('returns 422 MIXED_CURRENCIES when the products are priced in different currencies, and writes nothing', async () => {
      // Prepare
      ddb
        .on(BatchGetCommand)
        .resolves({ Responses: { [TEST_ENV.productsTable]: [MOUSE, { ...HUB, currency: 'USD' }] } });

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(422);
      expect(errorOf(result)).toEqual({
        code: 'MIXED_CURRENCIES',
        message: 'All products of one order must share a currency',
        details: [{ message: 'currencies: EUR, USD' }],
        requestId: REQUEST_ID,
      });
      expectNoWrites();
    });
  });

  describe('internal failures', () => {
    it('returns 500 with a generic message and no internal detail when DynamoDB fails', async () => {
      // Prepare
      ddb.on(TransactWriteCommand).rejects(
        new ResourceNotFoundException({
          message: `Requested resource not found: Table: ${TEST_ENV.ordersTable} not found`,
          $metadata: { httpStatusCode: 400 },
        }),
      );

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body)).toEqual({
        error: {
          code: 'INTERNAL_ERROR',
          message: 'The request could not be processed. Retry later.',
          details: [],
          requestId: REQUEST_ID,
        },
      });
      for (const leak of [
        TEST_ENV.ordersTable,
        TEST_ENV.productsTable,
        'ResourceNotFound',
        'Requested resource',
        'at ',
      ]) {
        expect(result.body).not.toContain(leak);
      }
    });

    it('returns 500 without internal detail when the catalog read fails', async () => {
      // Prepare
      ddb
        .on(BatchGetCommand)
        .rejects(new Error(`ProvisionedThroughputExceeded on ${TEST_ENV.productsTable}`));

      // Act
      const result = await handler(postOrders(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(500);
      expect(errorOf(result).code).toBe('INTERNAL_ERROR');
      expect(result.body).not.toContain(TEST_ENV.productsTable);
      expect(result.body).not.toContain('ProvisionedThroughputExceeded');
      expectNoWrites();
    });
  });
});
