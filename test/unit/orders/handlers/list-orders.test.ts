import '#test/unit/setup-env';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/orders/handlers/list-orders';
import type { OrderSummaryItem } from '#functions/orders/model';
import { apiGatewayEvent, CUSTOMER_SUB, callerContext, lambdaContext } from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);

const summary = (orderId: string, createdAt: string): OrderSummaryItem => ({
  pk: `ORDER#${orderId}`,
  sk: 'ORDER',
  customerId: CUSTOMER_SUB,
  createdAt,
  orderId,
  status: 'CONFIRMED',
  total: { amountMinor: 5998, currency: 'EUR' },
  updatedAt: createdAt,
});

const NEWER = summary('01JN8S7QG0BBBBBBBBBBBBBBBB', '2025-03-01T12:05:00.000Z');
const OLDER = summary('01JN8S7QG0AAAAAAAAAAAAAAAA', '2025-03-01T12:00:00.000Z');
/** What the keys-only `byCustomer` index holds of an order. */
const indexEntry = ({ pk, sk, customerId, createdAt }: OrderSummaryItem) => ({
  pk,
  sk,
  customerId,
  createdAt,
});
/** What the BatchGetItem of a page reads of an order. */
const read = ({ orderId, status, total, createdAt, updatedAt }: OrderSummaryItem) => ({
  orderId,
  status,
  total,
  createdAt,
  updatedAt,
});
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const listEvent = (query: Record<string, string> | null = null) =>
  apiGatewayEvent('GET /orders', { queryStringParameters: query });

describe('Handler: list-orders', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it("returns the caller's orders newest first, with a cursor to the next page", async () => {
    // Prepare
    const last = { pk: OLDER.pk, sk: 'ORDER', customerId: CUSTOMER_SUB, createdAt: OLDER.createdAt };
    ddb.on(QueryCommand).resolves({ Items: [indexEntry(NEWER), indexEntry(OLDER)], LastEvaluatedKey: last });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.ordersTable]: [read(OLDER), read(NEWER)] } });

    // Act
    const result = await handler(listEvent({ limit: '2' }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      items: [
        {
          orderId: NEWER.orderId,
          status: 'CONFIRMED',
          total: { amountMinor: 5998, currency: 'EUR' },
          createdAt: NEWER.createdAt,
          updatedAt: NEWER.updatedAt,
          // Under the stage the client called, as every link of the API.
          links: { self: `/prod/orders/${NEWER.orderId}` },
        },
        expect.objectContaining({ orderId: OLDER.orderId }),
      ],
      nextCursor: cursorOf(last),
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: TEST_ENV.ordersTable,
      IndexName: 'byCustomer',
      ExpressionAttributeValues: { ':customerId': CUSTOMER_SUB },
      ScanIndexForward: false,
      Limit: 2,
    });
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(1);
  });

  it('continues from the cursor of the previous page and ends with a null cursor', async () => {
    // Prepare
    const last = { pk: NEWER.pk, sk: 'ORDER', customerId: CUSTOMER_SUB, createdAt: NEWER.createdAt };
    ddb.on(QueryCommand).resolves({ Items: [indexEntry(OLDER)] });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.ordersTable]: [read(OLDER)] } });

    // Act
    const result = await handler(listEvent({ cursor: cursorOf(last) }), lambdaContext());

    // Assess
    expect(JSON.parse(result.body)).toMatchObject({ nextCursor: null });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      ExclusiveStartKey: last,
      Limit: 20,
    });
  });

  it.each([
    ['a limit of 0', { limit: '0' }, 'query.limit'],
    ['a limit over 100', { limit: '101' }, 'query.limit'],
    ['a limit that is not a number', { limit: 'all' }, 'query.limit'],
    ['a cursor that is not base64 JSON', { cursor: 'garbage' }, 'query.cursor'],
    [
      "a cursor into another customer's orders",
      {
        cursor: cursorOf({
          pk: OLDER.pk,
          sk: 'ORDER',
          customerId: 'another-customer',
          createdAt: OLDER.createdAt,
        }),
      },
      'query.cursor',
    ],
  ])('answers 400 INVALID_QUERY for %s without reading', async (_, query, path) => {
    // Act
    const result = await handler(listEvent(query), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({
      code: 'INVALID_QUERY',
      details: [expect.objectContaining({ path })],
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 401 UNAUTHORIZED without a verified caller, and reads nothing', async () => {
    // Act
    const result = await handler(apiGatewayEvent('GET /orders', callerContext(null)), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(401);
    expect(ddb.calls()).toHaveLength(0);
  });
});
