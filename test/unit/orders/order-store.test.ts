import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEvent, type DomainEvent, parseEvent } from '#events';
import type { OrderState } from '#functions/orders/domain/saga';
import type { IdempotencyItem, OrderItem } from '#functions/orders/model';
import { OrderStore, OrdersUnavailableError } from '#functions/orders/order-store';
import { transactionCanceled } from '../helpers/dynamodb';

const TABLE = 'orders-test';
const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const PLACED_AT = '2025-03-01T12:00:00.000Z';
const NOW = new Date('2025-03-01T12:05:00.000Z');
const KEY = '6a1f0c0e-7c1b-4f4e-9a52-2f4d2b8f6c11';
const RECIPIENT = { customerId: 'c-1', notifications: { email: true, sms: false } };

const doc = mockClient(DynamoDBDocumentClient);
const store = () => new OrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE);

function order(overrides: Partial<OrderItem> = {}): OrderItem {
  return {
    pk: `ORDER#${ORDER_ID}`,
    sk: 'ORDER',
    entity: 'ORDER',
    orderId: ORDER_ID,
    customerId: 'c-1',
    status: 'PENDING',
    lines: [
      {
        productId: '11111111-1111-1111-1111-111111111111',
        sellerId: 's-1',
        name: 'Mouse',
        quantity: 2,
        unitPrice: { amountMinor: 2999, currency: 'EUR' },
        lineTotal: { amountMinor: 5998, currency: 'EUR' },
      },
    ],
    total: { amountMinor: 5998, currency: 'EUR' },
    payment: { method: 'card', token: 'tok_ok' },
    correlationId: 'corr-1',
    createdAt: PLACED_AT,
    updatedAt: PLACED_AT,
    version: 1,
    history: [{ status: 'PENDING', at: PLACED_AT, reason: 'Order placed' }],
    ...overrides,
  };
}

function record(overrides: Partial<IdempotencyItem> = {}): IdempotencyItem {
  return {
    pk: `IDEMPOTENCY#${KEY}`,
    sk: 'IDEMPOTENCY',
    entity: 'IDEMPOTENCY',
    requestHash: 'a'.repeat(64),
    orderId: ORDER_ID,
    statusCode: 202,
    responseBody: '{"orderId":"01JN8S7QG0AAAAAAAAAAAAAAAA"}',
    location: `/orders/${ORDER_ID}`,
    createdAt: '2025-03-01T12:00:00.900Z',
    expiresAt: Math.floor(Date.parse(PLACED_AT) / 1000) + 24 * 3600,
    ...overrides,
  };
}

const orderCreated = (): DomainEvent =>
  createEvent(
    'OrderCreated',
    {
      orderId: ORDER_ID,
      customerId: 'c-1',
      lines: order().lines,
      total: order().total,
      payment: { method: 'card', token: 'tok_ok' },
      createdAt: PLACED_AT,
    },
    { source: 'order-service', aggregateId: ORDER_ID, now: new Date(PLACED_AT) },
  );

const orderConfirmed = (): DomainEvent =>
  createEvent(
    'OrderConfirmed',
    {
      orderId: ORDER_ID,
      paymentId: 'pay-1',
      total: order().total,
      confirmedAt: NOW.toISOString(),
      recipient: RECIPIENT,
    },
    { source: 'order-service', aggregateId: ORDER_ID, now: NOW },
  );

function state(overrides: Partial<OrderState> = {}): OrderState {
  return {
    orderId: ORDER_ID,
    status: 'PENDING',
    version: 1,
    total: { amountMinor: 5998, currency: 'EUR' },
    lines: [{ productId: '11111111-1111-1111-1111-111111111111', quantity: 2 }],
    history: [{ status: 'PENDING', at: PLACED_AT, reason: 'Order placed' }],
    updatedAt: PLACED_AT,
    recipient: RECIPIENT,
    ...overrides,
  };
}

/** `before` after one more transition to `status`, as `evolve` would return it. */
function next(before: OrderState, status: OrderState['status'], set: Partial<OrderState> = {}): OrderState {
  return {
    ...before,
    ...set,
    status,
    version: before.version + 1,
    updatedAt: NOW.toISOString(),
    history: [...before.history, { status, at: NOW.toISOString(), reason: `to ${status}`, eventId: 'evt-1' }],
  };
}

function transactItems(call = 0) {
  const items = doc.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems;
  if (!items) throw new Error(`No TransactWriteCommand number ${call}`);
  return items;
}

function updateInput(call = 0) {
  const input = doc.commandCalls(UpdateCommand)[call]?.args[0].input;
  if (!input) throw new Error(`No UpdateCommand number ${call}`);
  return input;
}

/** The envelopes of the outbox entries an item or an update's values carry. */
function eventsIn(entries: unknown): unknown[] {
  return (entries as { event: string }[]).map((entry) => {
    const parsed = parseEvent(entry.event);
    return parsed.ok ? parsed.event : parsed;
  });
}

describe('Class: OrderStore', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(TransactWriteCommand).resolves({});
    doc.on(UpdateCommand).resolves({});
  });

  describe('Method: get', () => {
    it('reads the order with a consistent read when decisions are made on it', async () => {
      // Prepare
      doc.on(GetCommand).resolves({ Item: order() });

      // Act
      const found = await store().get(ORDER_ID, { consistent: true });

      // Assess
      expect(found).toEqual(order());
      expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
        ConsistentRead: true,
      });
    });

    it('reads the order eventually consistent otherwise', async () => {
      // Prepare
      doc.on(GetCommand).resolves({ Item: order() });

      // Act
      await store().get(ORDER_ID, { consistent: false });

      // Assess
      expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
      });
    });

    it('returns undefined for an order that does not exist', async () => {
      // Prepare
      doc.on(GetCommand).resolves({});

      // Act
      const found = await store().get(ORDER_ID, { consistent: true });

      // Assess
      expect(found).toBeUndefined();
    });
  });

  describe('Method: getIdempotencyRecord', () => {
    it("reads the record of the customer's key consistently", async () => {
      // Prepare
      doc.on(GetCommand).resolves({ Item: record() });

      // Act
      const found = await store().getIdempotencyRecord('c-1', KEY);

      // Assess
      expect(found).toEqual(record());
      expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { pk: `IDEMPOTENCY#c-1#${KEY}`, sk: 'IDEMPOTENCY' },
        ConsistentRead: true,
      });
    });
  });

  describe('Method: listByCustomer', () => {
    const OLDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
    const NEWER_ID = '01JN8S7QG0BBBBBBBBBBBBBBBB';
    const indexKey = (orderId: string, createdAt: string) => ({
      pk: `ORDER#${orderId}`,
      sk: 'ORDER',
      customerId: 'c-1',
      createdAt,
    });
    const summary = (orderId: string, createdAt: string, status: OrderItem['status']) => ({
      orderId,
      status,
      total: { amountMinor: 5998, currency: 'EUR' },
      createdAt,
      updatedAt: NOW.toISOString(),
    });
    const NEWER_KEY = indexKey(NEWER_ID, '2025-03-01T12:01:00.000Z');
    const OLDER_KEY = indexKey(OLDER_ID, PLACED_AT);
    const NEWER = summary(NEWER_ID, NEWER_KEY.createdAt, 'CONFIRMED');
    const OLDER = summary(OLDER_ID, PLACED_AT, 'CANCELLED');
    const pauses: number[] = [];
    const listing = () =>
      new OrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE, async (retry) => {
        pauses.push(retry);
      });

    beforeEach(() => {
      pauses.length = 0;
    });

    it("queries the customer's keys in the byCustomer index newest first, from the cursor, and reads the orders in one BatchGetItem", async () => {
      // Prepare
      doc.on(QueryCommand).resolves({ Items: [NEWER_KEY, OLDER_KEY], LastEvaluatedKey: OLDER_KEY });
      // BatchGetItem answers in any order.
      doc.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [OLDER, NEWER] } });

      // Act
      const page = await listing().listByCustomer('c-1', 2, NEWER_KEY);

      // Assess
      expect(doc.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        IndexName: 'byCustomer',
        KeyConditionExpression: 'customerId = :customerId',
        ExpressionAttributeValues: { ':customerId': 'c-1' },
        ScanIndexForward: false,
        Limit: 2,
        ExclusiveStartKey: NEWER_KEY,
      });
      expect(doc.commandCalls(BatchGetCommand).map((call) => call.args[0].input)).toEqual([
        {
          RequestItems: {
            [TABLE]: {
              Keys: [
                { pk: NEWER_KEY.pk, sk: 'ORDER' },
                { pk: OLDER_KEY.pk, sk: 'ORDER' },
              ],
              // `status` and `total` are reserved words.
              ProjectionExpression: '#orderId, #status, #total, #createdAt, #updatedAt',
              ExpressionAttributeNames: {
                '#orderId': 'orderId',
                '#status': 'status',
                '#total': 'total',
                '#createdAt': 'createdAt',
                '#updatedAt': 'updatedAt',
              },
            },
          },
        },
      ]);
      // The index's order, the cursor the index gave.
      expect(page).toEqual({
        items: [
          { ...NEWER, pk: NEWER_KEY.pk, sk: 'ORDER', customerId: 'c-1' },
          { ...OLDER, pk: OLDER_KEY.pk, sk: 'ORDER', customerId: 'c-1' },
        ],
        next: OLDER_KEY,
      });
    });

    it('reads the keys DynamoDB left unprocessed again after a backoff, keeping the page order', async () => {
      // Prepare
      doc.on(QueryCommand).resolves({ Items: [NEWER_KEY, OLDER_KEY] });
      doc
        .on(BatchGetCommand)
        .resolvesOnce({
          Responses: { [TABLE]: [OLDER] },
          UnprocessedKeys: { [TABLE]: { Keys: [{ pk: NEWER_KEY.pk, sk: 'ORDER' }] } },
        })
        .resolvesOnce({ Responses: { [TABLE]: [NEWER] } });

      // Act
      const page = await listing().listByCustomer('c-1', 20);

      // Assess
      const batches = doc
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]);
      expect(batches.map((batch) => batch?.Keys)).toEqual([
        [
          { pk: NEWER_KEY.pk, sk: 'ORDER' },
          { pk: OLDER_KEY.pk, sk: 'ORDER' },
        ],
        [{ pk: NEWER_KEY.pk, sk: 'ORDER' }],
      ]);
      expect(pauses).toEqual([1]);
      expect(page.items.map((item) => item.orderId)).toEqual([NEWER_ID, OLDER_ID]);
      expect(page).not.toHaveProperty('next');
    });

    it('fails with ORDERS_UNAVAILABLE when keys stay unprocessed through every retry', async () => {
      // Prepare
      doc.on(QueryCommand).resolves({ Items: [OLDER_KEY] });
      doc.on(BatchGetCommand).resolves({
        Responses: { [TABLE]: [] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ pk: OLDER_KEY.pk, sk: 'ORDER' }] } },
      });

      // Act
      const listed = listing().listByCustomer('c-1', 20);

      // Assess
      await expect(listed).rejects.toBeInstanceOf(OrdersUnavailableError);
      expect(doc.commandCalls(BatchGetCommand)).toHaveLength(6);
      expect(pauses).toEqual([1, 2, 3, 4, 5]);
    });

    it('leaves out an order the index names but the table does not return', async () => {
      // Prepare
      doc.on(QueryCommand).resolves({ Items: [NEWER_KEY, OLDER_KEY] });
      doc.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [OLDER] } });

      // Act
      const page = await listing().listByCustomer('c-1', 20);

      // Assess
      expect(page.items.map((item) => item.orderId)).toEqual([OLDER_ID]);
    });

    it('returns no cursor and reads nothing more on an empty last page', async () => {
      // Prepare
      doc.on(QueryCommand).resolves({ Items: [] });

      // Act
      const page = await listing().listByCustomer('c-1', 10);

      // Assess
      expect(page).toEqual({ items: [] });
      expect(doc.commandCalls(QueryCommand)[0]?.args[0].input).not.toHaveProperty('ExclusiveStartKey');
      expect(doc.commandCalls(BatchGetCommand)).toHaveLength(0);
    });
  });

  describe('Method: create', () => {
    it('writes the key record and the order carrying its OrderCreated in one transaction, each conditioned', async () => {
      // Prepare
      const created = orderCreated();

      // Act
      const result = await store().create(order(), record(), created);

      // Assess
      expect(result).toBe('CREATED');
      expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(1);
      const [key, item, ...rest] = transactItems();
      expect(rest).toEqual([]);
      expect(key?.Put).toEqual({
        TableName: TABLE,
        Item: record(),
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': Math.floor(Date.parse('2025-03-01T12:00:00.900Z') / 1000) },
      });
      const { outbox, ...stored } = item?.Put?.Item ?? {};
      expect({ ...item?.Put, Item: stored }).toEqual({
        TableName: TABLE,
        Item: order(),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      expect(outbox).toEqual([
        {
          aggregateId: ORDER_ID,
          eventId: created.eventId,
          eventType: 'OrderCreated',
          topic: 'orders.events',
          messageKey: ORDER_ID,
          event: expect.any(String),
          createdAt: created.occurredAt,
        },
      ]);
      expect(eventsIn(outbox)).toEqual([created]);
    });

    it("deletes a checkout's cart in the same transaction, on condition of the version it was priced at", async () => {
      // Act
      const result = await store().create(order(), record(), orderCreated(), {
        customerId: 'c-1',
        version: 7,
      });

      // Assess
      expect(result).toBe('CREATED');
      const [key, item, cart, ...rest] = transactItems();
      expect(rest).toEqual([]);
      expect(key?.Put?.Item).toEqual(record());
      expect(item?.Put?.Item).toMatchObject({ entity: 'ORDER', orderId: ORDER_ID });
      expect(cart).toEqual({
        Delete: {
          TableName: TABLE,
          Key: { pk: 'CART#c-1', sk: 'CART' },
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': 7 },
        },
      });
    });

    it('reports CART_CHANGED when the cart is no longer at that version, and KEY_TAKEN first when both fail', async () => {
      // Prepare
      doc
        .on(TransactWriteCommand)
        .rejectsOnce(transactionCanceled('None', 'None', 'ConditionalCheckFailed'))
        .rejectsOnce(transactionCanceled('ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'));
      const cart = { customerId: 'c-1', version: 7 };

      // Act
      const changed = await store().create(order(), record(), orderCreated(), cart);
      const taken = await store().create(order(), record(), orderCreated(), cart);

      // Assess
      expect([changed, taken]).toEqual(['CART_CHANGED', 'KEY_TAKEN']);
    });

    it('reports KEY_TAKEN when the key record exists and has not expired', async () => {
      // Prepare
      doc.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None'));

      // Act
      const result = await store().create(order(), record(), orderCreated());

      // Assess
      expect(result).toBe('KEY_TAKEN');
    });

    it.each([[['TransactionConflict', 'None']], [['None', 'TransactionConflict']]])(
      'reports CONFLICT when a concurrent transaction won (%j)',
      async (codes) => {
        // Prepare
        doc.on(TransactWriteCommand).rejects(transactionCanceled(...codes));

        // Act
        const result = await store().create(order(), record(), orderCreated());

        // Assess
        expect(result).toBe('CONFLICT');
      },
    );

    it('rethrows a cancellation that is neither a taken key nor a conflict', async () => {
      // Prepare
      const cancelled = transactionCanceled('None', 'ConditionalCheckFailed');
      doc.on(TransactWriteCommand).rejects(cancelled);

      // Act
      const result = store().create(order(), record(), orderCreated());

      // Assess
      await expect(result).rejects.toBe(cancelled);
    });

    it('rethrows any other DynamoDB error', async () => {
      // Prepare
      const failure = new Error('Internal server error');
      doc.on(TransactWriteCommand).rejects(failure);

      // Act
      const result = store().create(order(), record(), orderCreated());

      // Assess
      await expect(result).rejects.toBe(failure);
    });
  });

  describe('Method: save', () => {
    it('updates the order conditioned on the status and version it was read in', async () => {
      // Prepare
      const before = state();
      const after = next(before, 'STOCK_RESERVED', { reservationId: 'res-1' });

      // Act
      const result = await store().save(before, after, []);

      // Assess
      expect(result).toBe('SAVED');
      expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
      expect(doc.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
          UpdateExpression:
            'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries), reservationId = :reservationId REMOVE #outbox',
          ConditionExpression: '#status = :from AND version = :version',
          ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
          ExpressionAttributeValues: {
            ':to': 'STOCK_RESERVED',
            ':now': NOW.toISOString(),
            ':one': 1,
            ':version': 1,
            ':from': 'PENDING',
            ':entries': [
              {
                status: 'STOCK_RESERVED',
                at: NOW.toISOString(),
                reason: 'to STOCK_RESERVED',
                eventId: 'evt-1',
              },
            ],
            ':reservationId': 'res-1',
          },
        },
      ]);
    });

    it('appends only the history entries the transition added', async () => {
      // Prepare
      const before = next(state(), 'STOCK_RESERVED', { reservationId: 'res-1' });
      const after = next(before, 'CONFIRMED', { paymentId: 'pay-1' });

      // Act
      await store().save(before, after, []);

      // Assess
      const values = updateInput().ExpressionAttributeValues;
      expect(values?.[':entries']).toEqual([after.history.at(-1)]);
      expect(values).toMatchObject({ ':from': 'STOCK_RESERVED', ':version': 2, ':to': 'CONFIRMED' });
    });

    it('sets the payment id only when the transition changes it', async () => {
      // Prepare
      const reserved = next(state(), 'STOCK_RESERVED', { reservationId: 'res-1' });
      const pending = next(reserved, 'PAYMENT_PENDING', { paymentId: 'pay-1' });
      const confirmed = next(pending, 'CONFIRMED', { paymentId: 'pay-1' });

      // Act
      await store().save(reserved, pending, []);
      await store().save(pending, confirmed, []);

      // Assess
      const [first, second] = [updateInput(0), updateInput(1)];
      expect(first.UpdateExpression).toBe(
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries), paymentId = :paymentId REMOVE #outbox',
      );
      expect(first.ExpressionAttributeValues).toMatchObject({ ':paymentId': 'pay-1' });
      expect(second.UpdateExpression).toBe(
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries) REMOVE openShard, #outbox',
      );
      expect(second?.ExpressionAttributeValues).not.toHaveProperty(':paymentId');
      expect(second?.ExpressionAttributeValues).not.toHaveProperty(':reservationId');
    });

    it('takes a finished order out of the open-orders index, and only a finished one', async () => {
      // Prepare
      const reserved = next(state(), 'STOCK_RESERVED', { reservationId: 'res-1' });
      const cancelled = next(reserved, 'CANCELLED', { releaseRequested: true });

      // Act
      await store().save(state(), reserved, []);
      await store().save(reserved, cancelled, []);

      // Assess
      expect(updateInput(0).UpdateExpression).not.toContain('openShard');
      expect(updateInput(1).UpdateExpression).toBe(
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries), releaseRequested = :releaseRequested REMOVE openShard, #outbox',
      );
    });

    it('asks the open-orders index of every shard for orders placed before a time', async () => {
      // Prepare
      doc.on(QueryCommand).resolves({ Items: [{ pk: 'ORDER#o-1', sk: 'ORDER' }] });
      const before = new Date('2025-03-01T11:30:00.000Z');

      // Act
      const ids = await store().openSince(before, 10);

      // Assess
      expect(ids).toEqual(['o-1', 'o-1', 'o-1', 'o-1']);
      expect(doc.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual(
        [0, 1, 2, 3].map((shard) => ({
          TableName: TABLE,
          IndexName: 'open',
          KeyConditionExpression: 'openShard = :shard AND createdAt < :before',
          ExpressionAttributeValues: { ':shard': `OPEN#${shard}`, ':before': before.toISOString() },
          Limit: 10,
        })),
      );
    });

    it('replaces the outbox attribute of the order with the emitted events in the same update', async () => {
      // Prepare
      const before = next(state(), 'STOCK_RESERVED', { reservationId: 'res-1' });
      const after = next(before, 'CONFIRMED', { paymentId: 'pay-1' });
      const confirmed = orderConfirmed();

      // Act
      await store().save(before, after, [confirmed]);

      // Assess
      const input = updateInput();
      expect(input.UpdateExpression).toBe(
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries), paymentId = :paymentId, #outbox = :outbox REMOVE openShard',
      );
      expect(input.ConditionExpression).toBe('#status = :from AND version = :version');
      expect(input.ExpressionAttributeValues?.[':outbox']).toMatchObject([
        {
          eventId: confirmed.eventId,
          eventType: 'OrderConfirmed',
          topic: 'orders.events',
          messageKey: ORDER_ID,
        },
      ]);
      expect(eventsIn(input.ExpressionAttributeValues?.[':outbox'])).toEqual([confirmed]);
    });

    it('reports STALE when the status or version changed', async () => {
      // Prepare
      doc
        .on(UpdateCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
      const before = state();

      // Act
      const result = await store().save(before, next(before, 'CANCELLED'), [orderConfirmed()]);

      // Assess
      expect(result).toBe('STALE');
    });

    it('rethrows any other DynamoDB error', async () => {
      // Prepare
      const failure = new Error('Internal server error');
      doc.on(UpdateCommand).rejects(failure);
      const before = state();

      // Act
      const result = store().save(before, next(before, 'CANCELLED'), []);

      // Assess
      await expect(result).rejects.toBe(failure);
    });
  });
});
