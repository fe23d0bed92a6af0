import '../setup-env';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ProductCatalog } from '#functions/catalog/products';
import { requestHash } from '#functions/orders/canonical';
import { type CreateOrderDeps, createOrder } from '#functions/orders/create-order';
import type { CreateOrderRequest } from '#functions/orders/domain/create-order-request';
import type { IdempotencyItem, OrderItem } from '#functions/orders/model';
import { HttpError } from '#platform/errors';
import type { OutboxRow } from '#platform/outbox/row';
import { parseEvent, Topics } from '../../../events';
import { HUB, MOUSE, PRODUCTS, transactionCanceled } from '../helpers/dynamodb';

const ORDERS_TABLE = 'orders-test';
const PRODUCTS_TABLE = 'products-test';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const KEY = '6a1f0c0e-7c1b-4f4e-9a52-2f4d2b8f6c11';

const REQUEST: CreateOrderRequest = {
  customerId: 'customer-42',
  items: [
    { productId: '11111111-1111-1111-1111-111111111111', quantity: 2 },
    { productId: '33333333-3333-3333-3333-333333333333', quantity: 1 },
  ],
  payment: { method: 'card', token: 'tok_ok' },
};

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Order ids handed out in sequence: 01JN8S7QG00000000000000001, ...02, ... */
const orderIdAt = (index: number) => `01JN8S7QG0${String(index + 1).padStart(16, '0')}`;

function makeDeps() {
  let issued = 0;
  const backoff = vi.fn(async (_attempt: number) => {});
  const deps: CreateOrderDeps = {
    client,
    catalog: new ProductCatalog(client, PRODUCTS_TABLE),
    ordersTable: ORDERS_TABLE,
    clock: () => NOW,
    newOrderId: () => orderIdAt(issued++),
    backoff,
  };
  return { deps, backoff };
}

function transactItems(call = 0) {
  const items = ddb.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems;
  if (!items) throw new Error(`No TransactWriteCommand number ${call}`);
  return items;
}

function storedRecord(overrides: Partial<IdempotencyItem> = {}): IdempotencyItem {
  return {
    pk: `IDEMPOTENCY#${KEY}`,
    sk: 'IDEMPOTENCY',
    entity: 'IDEMPOTENCY',
    requestHash: requestHash(REQUEST),
    orderId: '01JN8S7QG0ZZZZZZZZZZZZZZZZ',
    statusCode: 202,
    // Stored as first sent, spacing included; a replay must return exactly these bytes.
    responseBody: '{"orderId":"01JN8S7QG0ZZZZZZZZZZZZZZZZ",  "status":"PENDING", "note":"é"}',
    location: '/orders/01JN8S7QG0ZZZZZZZZZZZZZZZZ',
    createdAt: '2025-03-01T11:59:00.000Z',
    expiresAt: NOW_SECONDS + 3600,
    ...overrides,
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject');
}

describe('Function: createOrder', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS_TABLE]: [...PRODUCTS] } });
    ddb.on(TransactWriteCommand).resolves({});
  });

  describe('a new order', () => {
    it('writes the idempotency record, the order and the outbox row in one transaction, in that order', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      const items = transactItems();
      expect(items).toHaveLength(3);
      expect(items.map((item) => item.Put?.Item?.entity)).toEqual(['IDEMPOTENCY', 'ORDER', 'OUTBOX']);
      expect(items.map((item) => item.Put?.TableName)).toEqual([ORDERS_TABLE, ORDERS_TABLE, ORDERS_TABLE]);
      expect(items.map((item) => item.Put?.ConditionExpression)).toEqual([
        'attribute_not_exists(pk) OR expiresAt < :now',
        'attribute_not_exists(pk)',
        'attribute_not_exists(pk)',
      ]);
      expect(items[0]?.Put?.ExpressionAttributeValues).toEqual({ ':now': NOW_SECONDS });
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('reads the catalog once for all the ordered products', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      const reads = ddb.commandCalls(BatchGetCommand);
      expect(reads).toHaveLength(1);
      expect(reads[0]?.args[0].input.RequestItems?.[PRODUCTS_TABLE]?.Keys).toEqual([
        { productId: '11111111-1111-1111-1111-111111111111' },
        { productId: '33333333-3333-3333-3333-333333333333' },
      ]);
    });

    it('stores the order as PENDING, priced from the catalog', async () => {
      // Prepare
      const { deps } = makeDeps();
      const orderId = orderIdAt(0);

      // Act
      await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      const order = transactItems()[1]?.Put?.Item as OrderItem;
      expect(order).toMatchObject({
        pk: `ORDER#${orderId}`,
        sk: 'ORDER',
        entity: 'ORDER',
        orderId,
        customerId: 'customer-42',
        status: 'PENDING',
        total: { amountMinor: 2 * 2999 + 3999, currency: 'EUR' },
        payment: { method: 'card', token: 'tok_ok' },
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
        version: 1,
        history: [{ status: 'PENDING', at: NOW.toISOString(), reason: 'Order placed' }],
      });
      expect(order.lines.map((line) => [line.productId, line.quantity, line.lineTotal.amountMinor])).toEqual([
        ['11111111-1111-1111-1111-111111111111', 2, 5998],
        ['33333333-3333-3333-3333-333333333333', 1, 3999],
      ]);
    });

    it('stores the request hash and the response to replay under the idempotency key', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      const outcome = await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      expect(transactItems()[0]?.Put?.Item).toEqual({
        pk: `IDEMPOTENCY#${KEY}`,
        sk: 'IDEMPOTENCY',
        entity: 'IDEMPOTENCY',
        requestHash: requestHash(REQUEST),
        orderId: outcome.orderId,
        statusCode: 202,
        responseBody: outcome.body,
        location: outcome.location,
        createdAt: NOW.toISOString(),
        expiresAt: NOW_SECONDS + 24 * 3600,
      });
    });

    it('writes an OrderCreated outbox row for the orders topic, keyed by the order id', async () => {
      // Prepare
      const { deps } = makeDeps();
      const orderId = orderIdAt(0);

      // Act
      await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      const row = transactItems()[2]?.Put?.Item as OutboxRow;
      expect(row).toMatchObject({
        pk: `OUTBOX#${orderId}`,
        sk: row.eventId,
        entity: 'OUTBOX',
        eventType: 'OrderCreated',
        aggregateId: orderId,
        topic: Topics.orders,
        messageKey: orderId,
        createdAt: NOW.toISOString(),
      });
      expect(row.topic).toBe('orders.events');
      expect(row.unpublishedShard).toMatch(/^[0-7]$/);
      expect(row.publishedAt).toBeUndefined();
    });

    it('serializes an event that parses as a valid OrderCreated whose total is the sum of its lines', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      const row = transactItems()[2]?.Put?.Item as OutboxRow;
      const parsed = parseEvent(row.event);
      if (!parsed.ok) throw parsed.error;
      expect(parsed.event.eventType).toBe('OrderCreated');
      if (parsed.event.eventType !== 'OrderCreated') return;
      const { payload } = parsed.event;
      expect(parsed.event).toMatchObject({
        eventId: row.eventId,
        aggregateId: orderIdAt(0),
        source: 'order-service',
        causationId: null,
        correlationId: row.eventId,
      });
      expect(payload.total).toEqual({ amountMinor: 9997, currency: 'EUR' });
      expect(payload.total.amountMinor).toBe(
        payload.lines.reduce((total, line) => total + line.lineTotal.amountMinor, 0),
      );
      expect(payload.payment).toEqual({ method: 'card', token: 'tok_ok' });
    });

    it('carries the X-Ray trace header in the event when the function has one', async () => {
      // Prepare
      const { deps } = makeDeps();
      const traceHeader = 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1';

      // Act
      await createOrder(deps, { request: REQUEST, idempotencyKey: KEY, traceHeader });

      // Assess
      const row = transactItems()[2]?.Put?.Item as OutboxRow;
      expect(JSON.parse(row.event)).toMatchObject({ trace: { xrayTraceHeader: traceHeader } });
    });

    it('returns 202 with the order view and its location, not replayed', async () => {
      // Prepare
      const { deps } = makeDeps();
      const orderId = orderIdAt(0);

      // Act
      const outcome = await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      expect(outcome).toMatchObject({
        replayed: false,
        statusCode: 202,
        location: `/orders/${orderId}`,
        orderId,
      });
      const body = JSON.parse(outcome.body);
      expect(body).toMatchObject({
        orderId,
        status: 'PENDING',
        total: { amountMinor: 9997, currency: 'EUR' },
        payment: { method: 'card' },
        links: { self: `/orders/${orderId}` },
      });
      expect(outcome.body).not.toContain('tok_ok');
    });
  });

  describe('a repeated Idempotency-Key', () => {
    it('replays the stored response byte for byte when the request is the same', async () => {
      // Prepare
      const { deps } = makeDeps();
      const stored = storedRecord();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None', 'None'));
      ddb.on(GetCommand).resolves({ Item: stored });

      // Act
      const outcome = await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      expect(outcome).toEqual({
        replayed: true,
        statusCode: 202,
        body: stored.responseBody,
        location: stored.location,
        orderId: stored.orderId,
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: ORDERS_TABLE,
        Key: { pk: `IDEMPOTENCY#${KEY}`, sk: 'IDEMPOTENCY' },
        ConsistentRead: true,
      });
    });

    it('replays when the same request arrives with its keys in another order', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None', 'None'));
      ddb.on(GetCommand).resolves({ Item: storedRecord() });
      const reordered: CreateOrderRequest = {
        payment: { token: 'tok_ok', method: 'card' },
        items: REQUEST.items.map(({ quantity, productId }) => ({ quantity, productId })),
        customerId: 'customer-42',
      };

      // Act
      const outcome = await createOrder(deps, { request: reordered, idempotencyKey: KEY });

      // Assess
      expect(outcome.replayed).toBe(true);
    });

    it('rejects with 409 IDEMPOTENCY_KEY_REUSED when the request differs', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None', 'None'));
      ddb.on(GetCommand).resolves({ Item: storedRecord({ requestHash: requestHash({ other: 'request' }) }) });

      // Act
      const error = await rejectionOf(createOrder(deps, { request: REQUEST, idempotencyKey: KEY }));

      // Assess
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({
        statusCode: 409,
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'This Idempotency-Key was already used with a different request body',
        details: [
          { path: 'headers.idempotency-key', message: `use a new key for a different order (key "${KEY}")` },
        ],
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('creates the order as new when the stored record expired before it could be read', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled('ConditionalCheckFailed', 'None', 'None'))
        .resolves({});
      ddb.on(GetCommand).resolves({});

      // Act
      const outcome = await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      expect(outcome.replayed).toBe(false);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
      expect(backoff).toHaveBeenCalledTimes(1);
    });
  });

  describe('transaction conflicts', () => {
    it('retries after a TransactionConflict, backing off between attempts, then succeeds', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled('TransactionConflict', 'None', 'None'))
        .rejectsOnce(transactionCanceled('None', 'None', 'TransactionConflict'))
        .resolves({});

      // Act
      const outcome = await createOrder(deps, { request: REQUEST, idempotencyKey: KEY });

      // Assess
      expect(outcome).toMatchObject({ replayed: false, statusCode: 202, orderId: orderIdAt(2) });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
      expect(backoff.mock.calls).toEqual([[0], [1]]);
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });

    it('gives up with 409 REQUEST_IN_PROGRESS and Retry-After after too many conflicts', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('TransactionConflict', 'None', 'None'));

      // Act
      const error = await rejectionOf(createOrder(deps, { request: REQUEST, idempotencyKey: KEY }));

      // Assess
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({
        statusCode: 409,
        code: 'REQUEST_IN_PROGRESS',
        headers: { 'retry-after': '1' },
      });
      expect((error as HttpError).cause).toBeInstanceOf(TransactionCanceledException);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(7);
      expect(backoff.mock.calls).toEqual([[0], [1], [2], [3], [4], [5]]);
    });

    it('rethrows a cancellation that is neither a key collision nor a conflict', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      const cancelled = transactionCanceled('None', 'ConditionalCheckFailed', 'None');
      ddb.on(TransactWriteCommand).rejects(cancelled);

      // Act
      const error = await rejectionOf(createOrder(deps, { request: REQUEST, idempotencyKey: KEY }));

      // Assess
      expect(error).toBe(cancelled);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(backoff).not.toHaveBeenCalled();
    });

    it('rethrows an unexpected DynamoDB error without retrying', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      const failure = new Error('Internal server error');
      ddb.on(TransactWriteCommand).rejects(failure);

      // Act
      const error = await rejectionOf(createOrder(deps, { request: REQUEST, idempotencyKey: KEY }));

      // Assess
      expect(error).toBe(failure);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(backoff).not.toHaveBeenCalled();
    });
  });

  describe('catalog problems', () => {
    it('rejects with 422 UNKNOWN_PRODUCT naming the line, and writes nothing', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS_TABLE]: [MOUSE] } });

      // Act
      const error = await rejectionOf(createOrder(deps, { request: REQUEST, idempotencyKey: KEY }));

      // Assess
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({
        statusCode: 422,
        code: 'UNKNOWN_PRODUCT',
        details: [
          {
            path: 'items.1.productId',
            message: 'unknown product 33333333-3333-3333-3333-333333333333',
            productId: '33333333-3333-3333-3333-333333333333',
          },
        ],
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });

    it('rejects with 422 MIXED_CURRENCIES when the products are priced in different currencies', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb
        .on(BatchGetCommand)
        .resolves({ Responses: { [PRODUCTS_TABLE]: [MOUSE, { ...HUB, currency: 'USD' }] } });

      // Act
      const error = await rejectionOf(createOrder(deps, { request: REQUEST, idempotencyKey: KEY }));

      // Assess
      expect(error).toMatchObject({
        statusCode: 422,
        code: 'MIXED_CURRENCIES',
        details: [{ message: 'currencies: EUR, USD' }],
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });
  });
});
