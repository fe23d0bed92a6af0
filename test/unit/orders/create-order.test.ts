import '../setup-env';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
import { parseEvent, type Recipient, Topics } from '#events';
import { ProductCatalog } from '#functions/catalog/products';
import type { CustomerStatus, Identity } from '#functions/customers/model';
import { requestHash } from '#functions/orders/canonical';
import { type CreateOrderDeps, type CreateOrderResult, createOrder } from '#functions/orders/create-order';
import type { CreateOrderRequest } from '#functions/orders/domain/create-order-request';
import type { IdempotencyItem, OrderItem } from '#functions/orders/model';
import { OrderStore } from '#functions/orders/order-store';
import { outboxEntryOf } from '#test/unit/helpers/outbox';
import { HUB, MOUSE, PRODUCTS, transactionCanceled } from '../helpers/dynamodb';

const ORDERS_TABLE = 'orders-test';
const PRODUCTS_TABLE = 'products-test';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const KEY = '6a1f0c0e-7c1b-4f4e-9a52-2f4d2b8f6c11';

const CUSTOMER = '4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f';

const REQUEST: CreateOrderRequest = {
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

/** The recipient of the active customer's orders: their profile's contact details. */
const RECIPIENT: Recipient = {
  customerId: CUSTOMER,
  name: 'Alice',
  email: 'alice@example.com',
  notifications: { email: true, sms: false },
};

function makeDeps(status: CustomerStatus = 'ACTIVE') {
  let issued = 0;
  const backoff = vi.fn(async (_attempt: number) => {});
  const standingOf = vi.fn(async (_identity: Identity) => ({ status, recipient: RECIPIENT }));
  const deps: CreateOrderDeps = {
    store: new OrderStore(client, ORDERS_TABLE),
    catalog: new ProductCatalog(client, PRODUCTS_TABLE),
    customers: { standingOf },
    clock: () => NOW,
    newOrderId: () => orderIdAt(issued++),
    backoff,
  };
  return { deps, backoff, standingOf };
}

function transactItems(call = 0) {
  const items = ddb.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems;
  if (!items) throw new Error(`No TransactWriteCommand number ${call}`);
  return items;
}

function storedRecord(overrides: Partial<IdempotencyItem> = {}): IdempotencyItem {
  return {
    pk: `IDEMPOTENCY#${CUSTOMER}#${KEY}`,
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

/** The result, which the test expects to be an accepted order. */
function accepted(result: CreateOrderResult): Extract<CreateOrderResult, { kind: 'ACCEPTED' }> {
  if (result.kind !== 'ACCEPTED') throw new Error(`Expected ACCEPTED, got ${result.kind}`);
  return result;
}

describe('Function: createOrder', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS_TABLE]: [...PRODUCTS] } });
    ddb.on(TransactWriteCommand).resolves({});
  });

  describe('a suspended customer', () => {
    it('is refused as CUSTOMER_SUSPENDED before the catalog is read, and nothing is written', async () => {
      // Prepare
      const { deps } = makeDeps('SUSPENDED');

      // Act
      const result = await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      expect(result).toEqual({ kind: 'CUSTOMER_SUSPENDED' });
      expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    });
  });

  describe('a new order', () => {
    it('writes the idempotency record and the order carrying its OrderCreated in one transaction, in that order', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      const items = transactItems();
      expect(items).toHaveLength(2);
      expect(items.map((item) => item.Put?.Item?.entity)).toEqual(['IDEMPOTENCY', 'ORDER']);
      expect(items.map((item) => item.Put?.TableName)).toEqual([ORDERS_TABLE, ORDERS_TABLE]);
      expect(outboxEntryOf(items[1]?.Put?.Item).eventType).toBe('OrderCreated');
      expect(items.map((item) => item.Put?.ConditionExpression)).toEqual([
        'attribute_not_exists(pk) OR expiresAt < :now',
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
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

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
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      const order = transactItems()[1]?.Put?.Item as OrderItem;
      expect(order).toMatchObject({
        pk: `ORDER#${orderId}`,
        sk: 'ORDER',
        entity: 'ORDER',
        orderId,
        customerId: CUSTOMER,
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

    it("keeps the customer's contact details on the order, asked for with the token's claims", async () => {
      // Prepare
      const { deps, standingOf } = makeDeps();

      // Act
      await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        contact: { email: 'alice@example.com', name: 'Alice' },
        idempotencyKey: KEY,
      });

      // Assess
      expect(standingOf).toHaveBeenCalledWith({ sub: CUSTOMER, email: 'alice@example.com', name: 'Alice' });
      expect(transactItems()[1]?.Put?.Item?.recipient).toEqual(RECIPIENT);
    });

    it('stores the request hash and the response to replay under the idempotency key', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      const outcome = accepted(
        await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY }),
      );

      // Assess
      expect(transactItems()[0]?.Put?.Item).toEqual({
        pk: `IDEMPOTENCY#${CUSTOMER}#${KEY}`,
        sk: 'IDEMPOTENCY',
        entity: 'IDEMPOTENCY',
        requestHash: requestHash(REQUEST),
        orderId: outcome.orderId,
        correlationId: outcome.correlationId,
        statusCode: 202,
        responseBody: outcome.body,
        location: outcome.location,
        createdAt: NOW.toISOString(),
        expiresAt: NOW_SECONDS + 24 * 3600,
      });
    });

    it('answers the correlationId of the new saga: the eventId of its OrderCreated', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      const outcome = accepted(
        await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY }),
      );

      // Assess
      const row = outboxEntryOf(transactItems()[1]?.Put?.Item);
      expect(outcome.correlationId).toBe(row.eventId);
      expect(JSON.parse(row.event)).toMatchObject({ correlationId: row.eventId });
    });

    it('scopes the idempotency key to the customer, so two customers may send the same key', async () => {
      // Prepare
      const { deps } = makeDeps();
      const other = '0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c';

      // Act
      const first = accepted(
        await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY }),
      );
      const second = accepted(
        await createOrder(deps, { request: REQUEST, customerId: other, idempotencyKey: KEY }),
      );

      // Assess
      expect(second.replayed).toBe(false);
      expect(second.orderId).not.toBe(first.orderId);
      expect([transactItems(0)[0]?.Put?.Item?.pk, transactItems(1)[0]?.Put?.Item?.pk]).toEqual([
        `IDEMPOTENCY#${CUSTOMER}#${KEY}`,
        `IDEMPOTENCY#${other}#${KEY}`,
      ]);
      expect(transactItems(1)[1]?.Put?.Item).toMatchObject({ customerId: other });
    });

    it('puts an OrderCreated outbox entry for the orders topic, keyed by the order id, on the order', async () => {
      // Prepare
      const { deps } = makeDeps();
      const orderId = orderIdAt(0);

      // Act
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      const row = outboxEntryOf(transactItems()[1]?.Put?.Item);
      expect(row).toEqual({
        eventId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        eventType: 'OrderCreated',
        aggregateId: orderId,
        topic: Topics.orders,
        messageKey: orderId,
        event: expect.any(String),
        createdAt: NOW.toISOString(),
      });
      expect(row.topic).toBe('orders.events');
    });

    it('serializes an event that parses as a valid OrderCreated whose total is the sum of its lines', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      const row = outboxEntryOf(transactItems()[1]?.Put?.Item);
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

    it('starts the saga trace in the X-Ray trace of the request when the function has one', async () => {
      // Prepare
      const { deps } = makeDeps();
      const traceHeader = 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1';

      // Act
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY, traceHeader });

      // Assess
      const row = outboxEntryOf(transactItems()[1]?.Put?.Item);
      expect(JSON.parse(row.event)).toMatchObject({
        trace: {
          xrayTraceHeader: traceHeader,
          traceparent: expect.stringMatching(/^00-67c2f1a04bf92f3577b34da6a3ce929d-[0-9a-f]{16}-01$/),
        },
      });
    });

    it('starts a new W3C trace for the saga when the request is not traced', async () => {
      // Prepare
      const { deps } = makeDeps();

      // Act
      await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      const row = outboxEntryOf(transactItems()[1]?.Put?.Item);
      const { trace } = JSON.parse(row.event) as { trace: Record<string, string> };
      expect(trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(trace).not.toHaveProperty('xrayTraceHeader');
    });

    it('accepts the order with status 202, the order view and its location, not replayed', async () => {
      // Prepare
      const { deps } = makeDeps();
      const orderId = orderIdAt(0);

      // Act
      const outcome = accepted(
        await createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY }),
      );

      // Assess
      expect(outcome).toMatchObject({
        kind: 'ACCEPTED',
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
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));
      ddb.on(GetCommand).resolves({ Item: stored });

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({
        kind: 'ACCEPTED',
        replayed: true,
        statusCode: 202,
        body: stored.responseBody,
        location: stored.location,
        orderId: stored.orderId,
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: ORDERS_TABLE,
        Key: { pk: `IDEMPOTENCY#${CUSTOMER}#${KEY}`, sk: 'IDEMPOTENCY' },
        ConsistentRead: true,
      });
    });

    it('replays when the same request arrives with its keys in another order', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));
      ddb.on(GetCommand).resolves({ Item: storedRecord() });
      const reordered: CreateOrderRequest = {
        payment: { token: 'tok_ok', method: 'card' },
        items: REQUEST.items.map(({ quantity, productId }) => ({ quantity, productId })),
      };

      // Act
      const outcome = await createOrder(deps, {
        request: reordered,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toMatchObject({ kind: 'ACCEPTED', replayed: true });
    });

    it('refuses with KEY_REUSED, and writes nothing more, when the request differs', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));
      ddb.on(GetCommand).resolves({ Item: storedRecord({ requestHash: requestHash({ other: 'request' }) }) });

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({ kind: 'KEY_REUSED' });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
      expect(backoff).not.toHaveBeenCalled();
    });

    it('creates the order as new when the stored record expired before it could be read', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled('ConditionalCheckFailed', 'None'))
        .resolves({});
      ddb.on(GetCommand).resolves({});

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toMatchObject({ kind: 'ACCEPTED', replayed: false, orderId: orderIdAt(1) });
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
        .rejectsOnce(transactionCanceled('TransactionConflict', 'None'))
        .rejectsOnce(transactionCanceled('None', 'TransactionConflict'))
        .resolves({});

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toMatchObject({
        kind: 'ACCEPTED',
        replayed: false,
        statusCode: 202,
        orderId: orderIdAt(2),
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
      expect(backoff.mock.calls).toEqual([[0], [1]]);
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });

    it('gives up with IN_PROGRESS after too many conflicts, backing off between the seven attempts', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('TransactionConflict', 'None'));

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({ kind: 'IN_PROGRESS' });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(7);
      expect(backoff.mock.calls).toEqual([[0], [1], [2], [3], [4], [5]]);
      expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    });

    it('gives up with IN_PROGRESS when the key stays taken but its record keeps vanishing', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));
      ddb.on(GetCommand).resolves({});

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({ kind: 'IN_PROGRESS' });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(7);
      expect(ddb.commandCalls(GetCommand)).toHaveLength(7);
      expect(backoff).toHaveBeenCalledTimes(6);
    });

    it('rethrows a cancellation that is neither a key collision nor a conflict', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      const cancelled = transactionCanceled('None', 'ConditionalCheckFailed');
      ddb.on(TransactWriteCommand).rejects(cancelled);

      // Act
      const outcome = createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      await expect(outcome).rejects.toBe(cancelled);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(backoff).not.toHaveBeenCalled();
    });

    it('rethrows an unexpected DynamoDB error without retrying', async () => {
      // Prepare
      const { deps, backoff } = makeDeps();
      const failure = new Error('Internal server error');
      ddb.on(TransactWriteCommand).rejects(failure);

      // Act
      const outcome = createOrder(deps, { request: REQUEST, customerId: CUSTOMER, idempotencyKey: KEY });

      // Assess
      await expect(outcome).rejects.toBe(failure);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(backoff).not.toHaveBeenCalled();
    });
  });

  describe('catalog problems', () => {
    it('refuses with UNKNOWN_PRODUCTS naming the product and its line, and writes nothing', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS_TABLE]: [MOUSE] } });

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({
        kind: 'UNKNOWN_PRODUCTS',
        products: [{ productId: '33333333-3333-3333-3333-333333333333', line: 1 }],
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });

    it('refuses with UNKNOWN_PRODUCTS listing every missing product in line order', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb.on(BatchGetCommand).resolves({ Responses: { [PRODUCTS_TABLE]: [] } });

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({
        kind: 'UNKNOWN_PRODUCTS',
        products: [
          { productId: '11111111-1111-1111-1111-111111111111', line: 0 },
          { productId: '33333333-3333-3333-3333-333333333333', line: 1 },
        ],
      });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });

    it('refuses with MIXED_CURRENCIES when the products are priced in different currencies', async () => {
      // Prepare
      const { deps } = makeDeps();
      ddb
        .on(BatchGetCommand)
        .resolves({ Responses: { [PRODUCTS_TABLE]: [MOUSE, { ...HUB, currency: 'USD' }] } });

      // Act
      const outcome = await createOrder(deps, {
        request: REQUEST,
        customerId: CUSTOMER,
        idempotencyKey: KEY,
      });

      // Assess
      expect(outcome).toEqual({ kind: 'MIXED_CURRENCIES', currencies: ['EUR', 'USD'] });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });
  });
});
