import '#test/unit/setup-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '#events';
import type { OrderStatus } from '#functions/orders/domain/order';
import { handler } from '#functions/orders/handlers/cancel-order';
import type { OrderItem } from '#functions/orders/model';
import { apiGatewayEvent, CUSTOMER_SUB, lambdaContext } from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const OTHER_CUSTOMER = '0f0e0d0c-0b0a-4908-8706-050403020100';
const PRODUCT_ID = '11111111-1111-1111-1111-111111111111';

function order(status: OrderStatus, overrides: Partial<OrderItem> = {}): OrderItem {
  return {
    pk: `ORDER#${ORDER_ID}`,
    sk: 'ORDER',
    entity: 'ORDER',
    orderId: ORDER_ID,
    customerId: CUSTOMER_SUB,
    status,
    lines: [
      {
        productId: PRODUCT_ID,
        sellerId: 'seller-peripherals',
        name: 'Wireless Mouse',
        quantity: 2,
        unitPrice: { amountMinor: 2999, currency: 'EUR' },
        lineTotal: { amountMinor: 5998, currency: 'EUR' },
      },
    ],
    total: { amountMinor: 5998, currency: 'EUR' },
    payment: { method: 'card', token: 'tok_secret_4242' },
    correlationId: '01JN8S7QG07VXVQKXB80JART8R',
    createdAt: '2025-03-01T12:00:00.000Z',
    updatedAt: '2025-03-01T12:00:02.000Z',
    version: 2,
    openShard: 'OPEN#3',
    history: [{ status: 'PENDING', at: '2025-03-01T12:00:00.000Z', reason: 'Order placed' }],
    recipient: { customerId: CUSTOMER_SUB, name: 'Alice', notifications: { email: true, sms: false } },
    ...overrides,
  };
}

const reserved = (overrides: Partial<OrderItem> = {}) =>
  order('STOCK_RESERVED', { reservationId: 'res-1', ...overrides });

function cancelEvent(body?: string, contentType = 'application/json', orderId = ORDER_ID) {
  return apiGatewayEvent('POST /orders/{orderId}/cancel', {
    pathParameters: { orderId },
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body }),
  });
}

/** The events an UpdateItem carried on the order (its outbox attribute), parsed. */
function eventsOf(call: number) {
  const input = ddb.commandCalls(UpdateCommand)[call]?.args[0].input;
  const outbox = (input?.ExpressionAttributeValues?.[':outbox'] ?? []) as { event: string }[];
  return outbox.map((entry) => {
    const parsed = parseEvent(entry.event);
    if (!parsed.ok) throw new Error(`unparseable event: ${JSON.stringify(parsed.error)}`);
    return parsed.event;
  });
}

describe('Handler: cancel-order', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('cancels a STOCK_RESERVED order in one UpdateItem conditioned on status and version, carrying the release and OrderCancelled, and answers 202 with the order', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: reserved() });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await handler(
      cancelEvent(JSON.stringify({ reason: 'ordered the wrong size' })),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(202);
    const view = JSON.parse(result.body);
    expect(view).toMatchObject({ orderId: ORDER_ID, status: 'CANCELLED' });
    expect(view.history.at(-1)).toMatchObject({
      status: 'CANCELLED',
      reason: 'Cancelled by the customer: ordered the wrong size',
    });
    expect(result.body).not.toContain('tok_secret');
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.ordersTable,
      Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
      ConsistentRead: true,
    });
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update).toMatchObject({
      TableName: TEST_ENV.ordersTable,
      Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
      ConditionExpression: '#status = :from AND version = :version',
      UpdateExpression:
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries), releaseRequested = :releaseRequested, #outbox = :outbox REMOVE openShard',
    });
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':from': 'STOCK_RESERVED',
      ':version': 2,
      ':to': 'CANCELLED',
      ':releaseRequested': true,
    });
    const events = eventsOf(0);
    expect(events.map((event) => event.eventType)).toEqual(['StockReleaseRequested', 'OrderCancelled']);
    expect(events.map((event) => [event.eventVersion, event.correlationId, event.aggregateId])).toEqual([
      [1, '01JN8S7QG07VXVQKXB80JART8R', ORDER_ID],
      [4, '01JN8S7QG07VXVQKXB80JART8R', ORDER_ID],
    ]);
    expect(events[1]?.payload).toMatchObject({
      cancelledFrom: 'STOCK_RESERVED',
      reason: 'CUSTOMER_REQUEST',
      detail: 'ordered the wrong size',
      recipient: { customerId: CUSTOMER_SUB, name: 'Alice' },
    });
  });

  it('cancels a PAYMENT_PENDING order with the stock released and the payment reversed, without a body', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolves({ Item: order('PAYMENT_PENDING', { reservationId: 'res-1', paymentId: 'pay-1' }) });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await handler(cancelEvent(undefined), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(202);
    const events = eventsOf(0);
    expect(events.map((event) => event.eventType)).toEqual([
      'StockReleaseRequested',
      'PaymentReversalRequested',
      'OrderCancelled',
    ]);
    expect(events[1]?.payload).toEqual({ orderId: ORDER_ID, paymentId: 'pay-1', reason: 'ORDER_CANCELLED' });
  });

  it('reads again and decides again when the saga changed the order meanwhile', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: order('PENDING') })
      .resolves({ Item: reserved({ version: 3 }) });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      )
      .resolves({});

    // Act
    const result = await handler(cancelEvent(undefined), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(202);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(eventsOf(0).map((event) => event.eventType)).toEqual(['OrderCancelled']);
    expect(eventsOf(1).map((event) => event.eventType)).toEqual(['StockReleaseRequested', 'OrderCancelled']);
    expect(ddb.commandCalls(UpdateCommand)[1]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':from': 'STOCK_RESERVED',
      ':version': 3,
    });
  });

  it('answers a lost race that ended the order CANCELLED with 200 and writes nothing more', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: reserved() })
      .resolves({ Item: order('CANCELLED', { version: 3, reservationId: 'res-1', releaseRequested: true }) });
    ddb
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // Act
    const result = await handler(cancelEvent(undefined), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('answers an order cancelled already with 200 and the order, and writes nothing', async () => {
    // Prepare
    const cancelled = order('CANCELLED', { version: 3 });
    ddb.on(GetCommand).resolves({ Item: cancelled });

    // Act
    const result = await handler(cancelEvent(JSON.stringify({ reason: 'again' })), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ orderId: ORDER_ID, status: 'CANCELLED' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('cancels a CONFIRMED order (202) with the release, the payment reversal and OrderCancelled in one write conditioned on CONFIRMED', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolves({ Item: order('CONFIRMED', { version: 4, reservationId: 'res-1', paymentId: 'pay-1' }) });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await handler(cancelEvent(undefined), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toMatchObject({ orderId: ORDER_ID, status: 'CANCELLED' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(eventsOf(0).map((event) => event.eventType)).toEqual([
      'StockReleaseRequested',
      'PaymentReversalRequested',
      'OrderCancelled',
    ]);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':from': 'CONFIRMED',
      ':version': 4,
    });
  });

  it.each(['SHIPPED', 'DELIVERED'] as const)(
    'answers a %s order with 409 ORDER_NOT_CANCELLABLE and its status, and writes nothing',
    async (status) => {
      // Prepare
      ddb.on(GetCommand).resolves({ Item: order(status, { reservationId: 'res-1', paymentId: 'pay-1' }) });

      // Act
      const result = await handler(cancelEvent(undefined), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(409);
      expect(JSON.parse(result.body).error).toMatchObject({
        code: 'ORDER_NOT_CANCELLABLE',
        details: [{ path: 'status', status }],
      });
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    },
  );

  it("answers another customer's order exactly like an unknown one (404) and writes nothing", async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: reserved({ customerId: OTHER_CUSTOMER }) })
      .resolvesOnce({});

    // Act
    const other = await handler(cancelEvent(undefined), lambdaContext());
    const unknown = await handler(cancelEvent(undefined), lambdaContext());

    // Assess
    expect(other.statusCode).toBe(404);
    expect(other.body).toBe(unknown.body);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it.each([
    ['an unknown field', JSON.stringify({ reason: 'x', refund: 'cash' }), 'VALIDATION_FAILED'],
    ['a reason over 200 characters', JSON.stringify({ reason: 'x'.repeat(201) }), 'VALIDATION_FAILED'],
    ['an empty reason', JSON.stringify({ reason: '  ' }), 'VALIDATION_FAILED'],
    ['a reason that is not a string', JSON.stringify({ reason: 42 }), 'VALIDATION_FAILED'],
    ['a body that is not an object', JSON.stringify(['cancel']), 'VALIDATION_FAILED'],
    ['malformed JSON', '{"reason":', 'MALFORMED_JSON'],
  ])('refuses %s with 400 %s and touches no order', async (_what, body, code) => {
    // Act
    const result = await handler(cancelEvent(body), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error.code).toBe(code);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses a malformed order id with 400 INVALID_ORDER_ID', async () => {
    // Act
    const result = await handler(cancelEvent(undefined, 'application/json', 'not-an-order'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error.code).toBe('INVALID_ORDER_ID');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('answers 409 ORDER_BUSY when the order keeps changing, without internal details', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: reserved() });
    ddb
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // Act
    const result = await handler(cancelEvent(undefined), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(JSON.parse(result.body).error.code).toBe('ORDER_BUSY');
    expect(result.body).not.toContain('conditional');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(6);
  });
});
