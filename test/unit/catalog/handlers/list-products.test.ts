import '#test/unit/setup-env';
import { BatchGetCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/catalog/handlers/list-products';
import { apiGatewayEvent, lambdaContext } from '#test/helpers/fixtures';
import { HUB, MOUSE, STOCK } from '#test/unit/helpers/dynamodb';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);

const listEvent = (query: Record<string, string> | null) =>
  apiGatewayEvent('GET /products', { queryStringParameters: query });

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Handler: list-products', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.inventoryTable]: [...STOCK] } });
  });

  it('returns 200 with a page of products sorted by id and the cursor of the next page', async () => {
    // Prepare
    const lastKey = { productId: '33333333-3333-3333-3333-333333333333' };
    ddb.on(ScanCommand).resolves({ Items: [HUB, MOUSE], LastEvaluatedKey: lastKey });

    // Act
    const result = await handler(apiGatewayEvent('GET /products'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body);
    expect(body.items).toEqual([
      {
        productId: '11111111-1111-1111-1111-111111111111',
        name: 'Wireless Mouse',
        price: { amountMinor: 2999, currency: 'EUR' },
        sellerId: 'seller-peripherals',
        stock: 25,
      },
      {
        productId: '33333333-3333-3333-3333-333333333333',
        name: 'USB-C Hub',
        price: { amountMinor: 3999, currency: 'EUR' },
        sellerId: 'seller-connectivity',
        stock: 10,
      },
    ]);
    expect(body.nextCursor).toBe(cursorOf(lastKey));
    expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.productsTable,
      Limit: 2,
    });
  });

  it('returns a null cursor on the last page and reads 50 products by default', async () => {
    // Prepare
    ddb.on(ScanCommand).resolves({ Items: [MOUSE] });

    // Act
    const result = await handler(listEvent(null), lambdaContext());

    // Assess
    expect(JSON.parse(result.body)).toMatchObject({ nextCursor: null });
    expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input.Limit).toBe(50);
  });

  it('returns an empty page for an empty catalog', async () => {
    // Prepare
    ddb.on(ScanCommand).resolves({ Items: [] });

    // Act
    const result = await handler(listEvent({}), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ items: [], nextCursor: null });
  });

  it('continues the scan from the key in the cursor', async () => {
    // Prepare
    const lastKey = { productId: '11111111-1111-1111-1111-111111111111' };
    ddb.on(ScanCommand).resolves({ Items: [HUB] });

    // Act
    const result = await handler(listEvent({ limit: '100', cursor: cursorOf(lastKey) }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.productsTable,
      Limit: 100,
      ExclusiveStartKey: lastKey,
    });
  });

  it.each(['0', '101', '-1', '1.5', 'ten', '', '1e2'])(
    'returns 400 INVALID_QUERY for limit "%s" without reading the table',
    async (limit) => {
      // Act
      const result = await handler(listEvent({ limit }), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body).error).toMatchObject({
        code: 'INVALID_QUERY',
        message: 'limit must be an integer from 1 to 100',
        details: [{ path: 'query.limit', message: `received "${limit}"` }],
      });
      expect(ddb.calls()).toHaveLength(0);
    },
  );

  it.each([
    ['not base64url JSON', 'not-a-cursor'],
    ['empty', ''],
    ['JSON that is not an object', cursorOf('11111111')],
    ['JSON null', cursorOf(null)],
    ['an object without a productId', cursorOf({ pk: 'ORDER#1' })],
    ['a numeric productId', cursorOf({ productId: 42 })],
    // DynamoDB rejects these as ExclusiveStartKey with a ValidationException, which would surface as a 500.
    ['an empty productId', cursorOf({ productId: '' })],
    ['a key with extra attributes', cursorOf({ productId: 'mouse', pk: 'ORDER#1' })],
  ])('returns 400 INVALID_QUERY for a cursor that is %s without reading the table', async (_, cursor) => {
    // Act
    const result = await handler(listEvent({ cursor }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({
      code: 'INVALID_QUERY',
      message: 'cursor is not a cursor returned by this API',
      details: [{ path: 'query.cursor', message: 'pass nextCursor unchanged' }],
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});
