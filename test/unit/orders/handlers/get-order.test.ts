import '#test/unit/setup-env';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/orders/handlers/get-order';
import type { OrderItem } from '#functions/orders/model';
import { apiGatewayEvent, CUSTOMER_SUB, callerContext, lambdaContext } from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const SECRET_TOKEN = 'tok_secret_4242';

const ORDER: OrderItem = {
  pk: `ORDER#${ORDER_ID}`,
  sk: 'ORDER',
  entity: 'ORDER',
  orderId: ORDER_ID,
  customerId: CUSTOMER_SUB,
  status: 'CANCELLED',
  lines: [
    {
      productId: '11111111-1111-1111-1111-111111111111',
      sellerId: 'seller-peripherals',
      name: 'Wireless Mouse',
      quantity: 2,
      unitPrice: { amountMinor: 2999, currency: 'EUR' },
      lineTotal: { amountMinor: 5998, currency: 'EUR' },
    },
  ],
  total: { amountMinor: 5998, currency: 'EUR' },
  payment: { method: 'card', token: SECRET_TOKEN },
  correlationId: '01JN8S7QG07VXVQKXB80JART8R',
  createdAt: '2025-03-01T12:00:00.000Z',
  updatedAt: '2025-03-01T12:00:02.000Z',
  version: 2,
  history: [
    { status: 'PENDING', at: '2025-03-01T12:00:00.000Z', reason: 'Order placed' },
    {
      status: 'CANCELLED',
      at: '2025-03-01T12:00:02.000Z',
      reason: 'Stock rejected',
      eventId: '01JN8S7QZM0000000000000001',
    },
  ],
};

const getOrderEvent = (orderId: string | undefined) =>
  apiGatewayEvent('GET /orders/{orderId}', { pathParameters: orderId === undefined ? null : { orderId } });

describe('Handler: get-order', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('returns 200 with the public view of the order', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: ORDER });

    // Act
    const result = await handler(apiGatewayEvent('GET /orders/{orderId}'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      orderId: ORDER_ID,
      customerId: CUSTOMER_SUB,
      status: 'CANCELLED',
      lines: ORDER.lines,
      total: { amountMinor: 5998, currency: 'EUR' },
      payment: { method: 'card' },
      createdAt: '2025-03-01T12:00:00.000Z',
      updatedAt: '2025-03-01T12:00:02.000Z',
      history: ORDER.history,
      links: { self: `/prod/orders/${ORDER_ID}` },
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.ordersTable,
      Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
    });
  });

  it('never returns the payment token or storage attributes', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: ORDER });

    // Act
    const result = await handler(getOrderEvent(ORDER_ID), lambdaContext());

    // Assess
    expect(result.body).not.toContain(SECRET_TOKEN);
    expect(result.body).not.toContain('token');
    for (const attribute of ['"pk"', '"sk"', '"entity"', '"version"', '"correlationId"']) {
      expect(result.body).not.toContain(attribute);
    }
  });

  it('returns 404 when the order does not exist', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const result = await handler(getOrderEvent(ORDER_ID), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: `Order ${ORDER_ID} does not exist`,
        details: [],
        requestId: 'd2b4c1f0-7b61-11e6-9a41-93e8deadbeef',
      },
    });
  });

  it("answers another customer's order exactly like an unknown one: 404 with the same body", async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { ...ORDER, customerId: 'another-customer' } })
      .resolvesOnce({});

    // Act
    const foreign = await handler(getOrderEvent(ORDER_ID), lambdaContext());
    const unknown = await handler(getOrderEvent(ORDER_ID), lambdaContext());

    // Assess
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(unknown.body);
    expect(foreign.body).not.toContain('another-customer');
  });

  it('answers 401 UNAUTHORIZED without a verified caller, and reads nothing', async () => {
    // Act
    const result = await handler(
      apiGatewayEvent('GET /orders/{orderId}', callerContext(null)),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body).error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it.each([
    ['a UUID', '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c43'],
    ['a lowercase ULID', '01jn8s7qg0aaaaaaaaaaaaaaaa'],
    ['a ULID with an I', '01JN8S7QG0IAAAAAAAAAAAAAAA'],
    ['25 characters', '01JN8S7QG0AAAAAAAAAAAAAAA'],
    ['an empty id', ''],
    ['no path parameter', undefined],
  ])('returns 400 INVALID_ORDER_ID for %s without reading the table', async (_, orderId) => {
    // Act
    const result = await handler(getOrderEvent(orderId), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({
      code: 'INVALID_ORDER_ID',
      details: [{ path: 'path.orderId', message: 'an order id is a 26-character ULID' }],
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});
