import '#test/unit/setup-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as createProduct } from '#functions/catalog/handlers/create-product';
import {
  ADMIN_CALLER,
  apiGatewayEvent,
  CUSTOMER_SUB,
  callerContext,
  lambdaContext,
} from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const VALID = {
  name: 'Laptop Stand',
  description: 'Aluminium',
  price: { amountMinor: 4999, currency: 'EUR' },
  sellerId: 'seller-peripherals',
};

const postProduct = (body: unknown, overrides: Parameters<typeof apiGatewayEvent>[1] = {}) =>
  apiGatewayEvent('POST /admin/products', {
    ...callerContext(ADMIN_CALLER),
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...overrides,
  });

const bodyOf = (result: APIGatewayProxyResult) => JSON.parse(result.body);

describe('Handler: create-product (back office)', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(PutCommand).resolves({});
  });

  it('adds a product with a new UUID when no id is given, with one conditional PutItem', async () => {
    // Act
    const result = await createProduct(postProduct(VALID), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(201);
    const body = bodyOf(result);
    expect(body).toEqual({ productId: expect.stringMatching(/^[0-9a-f-]{36}$/), ...VALID, stock: 0 });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.productsTable,
      Item: {
        productId: body.productId,
        name: 'Laptop Stand',
        description: 'Aluminium',
        priceMinor: 4999,
        currency: 'EUR',
        sellerId: 'seller-peripherals',
        createdAt: expect.any(String),
        createdBy: 'ops-admin',
      },
      ConditionExpression: 'attribute_not_exists(productId)',
    });
  });

  it('keeps a given product id, and answers 409 when it exists', async () => {
    // Prepare
    ddb
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // Act
    const result = await createProduct(postProduct({ ...VALID, productId: 'stand-1' }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result).error.code).toBe('PRODUCT_EXISTS');
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.productId).toBe('stand-1');
  });

  it.each([
    ['a missing name', { ...VALID, name: undefined }],
    ['a fractional price', { ...VALID, price: { amountMinor: 1.5, currency: 'EUR' } }],
    ['a lower-case currency', { ...VALID, price: { amountMinor: 1, currency: 'eur' } }],
    ['a stock', { ...VALID, stock: 5 }],
    ['a malformed product id', { ...VALID, productId: 'a b' }],
  ])('answers 400 to %s and writes nothing', async (_, body) => {
    // Act
    const result = await createProduct(postProduct(body), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error.code).toBe('VALIDATION_FAILED');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 403 to a customer and writes nothing', async () => {
    // Act
    const result = await createProduct(
      postProduct(VALID, callerContext({ sub: CUSTOMER_SUB })),
      lambdaContext(),
    );

    // Assess
    expect([result.statusCode, bodyOf(result).error.code]).toEqual([403, 'FORBIDDEN']);
    expect(ddb.calls()).toHaveLength(0);
  });
});
