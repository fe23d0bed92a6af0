import '#test/unit/setup-env';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/catalog/handlers/get-product';
import { apiGatewayEvent, lambdaContext } from '#test/helpers/fixtures';
import { MOUSE, STOCK } from '#test/unit/helpers/dynamodb';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const MOUSE_ID = '11111111-1111-1111-1111-111111111111';

const getProductEvent = (productId: string | undefined) =>
  apiGatewayEvent('GET /products/{productId}', {
    pathParameters: productId === undefined ? null : { productId },
  });

describe('Handler: get-product', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('returns 200 with the product, its price in minor units and its stock from the inventory table', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: MOUSE });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TEST_ENV.inventoryTable]: [STOCK[0]] } });

    // Act
    const result = await handler(apiGatewayEvent('GET /products/{productId}'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      productId: MOUSE_ID,
      name: 'Wireless Mouse',
      price: { amountMinor: 2999, currency: 'EUR' },
      sellerId: 'seller-peripherals',
      stock: 25,
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.productsTable,
      Key: { productId: MOUSE_ID },
    });
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems).toEqual({
      [TEST_ENV.inventoryTable]: {
        Keys: [{ pk: `STOCK#${MOUSE_ID}`, sk: 'STOCK' }],
        ProjectionExpression: 'productId, stock',
      },
    });
  });

  it('returns 404 when the product does not exist', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const result = await handler(getProductEvent('no-such-product'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body).error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Product no-such-product does not exist',
    });
  });

  it.each([
    ['spaces', 'wireless mouse'],
    ['a leading hyphen', '-mouse'],
    ['65 characters', 'p'.repeat(65)],
    ['an empty id', ''],
    ['no path parameter', undefined],
  ])('returns 400 INVALID_PRODUCT_ID for %s without reading the table', async (_, productId) => {
    // Act
    const result = await handler(getProductEvent(productId), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({
      code: 'INVALID_PRODUCT_ID',
      details: [{ path: 'path.productId', message: '1-64 characters of letters, digits and . _ : @ -' }],
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});
