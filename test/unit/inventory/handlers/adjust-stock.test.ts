import '#test/unit/setup-env';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '#events';
import { handler as adjustStock } from '#functions/inventory/handlers/adjust-stock';
import {
  ADMIN_CALLER,
  apiGatewayEvent,
  CUSTOMER_SUB,
  callerContext,
  lambdaContext,
} from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const PRODUCT_ID = '44444444-4444-4444-4444-444444444444';
const STOCK_KEY = { pk: `STOCK#${PRODUCT_ID}`, sk: 'STOCK' };
const ADMIN = { ...ADMIN_CALLER, email: 'admin@example.com' };

const putStock = (body: unknown, overrides: Parameters<typeof apiGatewayEvent>[1] = {}) =>
  apiGatewayEvent('PUT /admin/products/{productId}/stock', {
    ...callerContext(ADMIN),
    pathParameters: { productId: PRODUCT_ID },
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...overrides,
  });

const bodyOf = (result: APIGatewayProxyResult) => JSON.parse(result.body);

const stockIs = (stock: number | undefined) =>
  ddb
    .on(GetCommand)
    .resolves(stock === undefined ? {} : { Item: { ...STOCK_KEY, productId: PRODUCT_ID, stock } });

const conditionFailed = (codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

function transaction() {
  const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
  return { update: items[0]?.Update, put: items[1]?.Put };
}

describe('Handler: adjust-stock (back office)', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(TransactWriteCommand).resolves({});
  });

  it('sets the stock of an existing product and audits it with a StockAdjusted event in one transaction', async () => {
    // Prepare
    stockIs(5);

    // Act
    const result = await adjustStock(putStock({ set: 12, reason: 'stock count' }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({
      productId: PRODUCT_ID,
      stock: 12,
      stockBefore: 5,
      adjustedBy: 'admin@example.com',
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.inventoryTable,
      Key: STOCK_KEY,
      ConsistentRead: true,
    });
    const { update, put } = transaction();
    expect(update).toEqual({
      TableName: TEST_ENV.inventoryTable,
      Key: STOCK_KEY,
      UpdateExpression: 'SET stock = :stock, updatedAt = :now',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':stock': 12, ':now': expect.any(String) },
    });
    expect(put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put?.Item).toMatchObject({
      pk: `AUDIT#STOCK#${PRODUCT_ID}`,
      entity: 'STOCK_ADJUSTMENT',
      change: 'SET',
      quantity: 12,
      stockBefore: 5,
      stockAfter: 12,
      adjustedBy: 'admin@example.com',
      adjustedBySub: ADMIN.sub,
      reason: 'stock count',
    });
    const outbox = put?.Item?.outbox as { eventType: string; topic: string; event: string }[];
    expect(outbox.map((entry) => [entry.eventType, entry.topic])).toEqual([
      ['StockAdjusted', 'inventory.events'],
    ]);
    const parsed = parseEvent(JSON.parse(outbox[0]?.event ?? '{}'));
    expect(parsed.ok && parsed.event.payload).toEqual({
      productId: PRODUCT_ID,
      adjustmentId: bodyOf(result).adjustmentId,
      change: 'SET',
      quantity: 12,
      stockBefore: 5,
      stockAfter: 12,
      adjustedBy: 'admin@example.com',
      reason: 'stock count',
    });
  });

  it('sets the stock only while it is the expected stock when expectedStock is given', async () => {
    // Prepare
    stockIs(10);

    // Act
    const result = await adjustStock(putStock({ set: 0, expectedStock: 10 }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(transaction().update).toMatchObject({
      UpdateExpression: 'SET stock = :stock, updatedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND stock = :expected',
      ExpressionAttributeValues: { ':stock': 0, ':expected': 10, ':now': expect.any(String) },
    });
  });

  it('adds to the stock with ADD when add is positive', async () => {
    // Prepare
    stockIs(5);

    // Act
    const result = await adjustStock(putStock({ add: 20 }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ stock: 25, stockBefore: 5 });
    expect(transaction().update).toEqual({
      TableName: TEST_ENV.inventoryTable,
      Key: STOCK_KEY,
      UpdateExpression: 'SET updatedAt = :now ADD stock :n',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':n': 20, ':now': expect.any(String) },
    });
  });

  it('takes units away only while the stock covers them when add is negative', async () => {
    // Prepare
    stockIs(5);

    // Act
    const result = await adjustStock(putStock({ add: -3, expectedStock: 5 }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ stock: 2, stockBefore: 5 });
    expect(transaction().update).toMatchObject({
      UpdateExpression: 'SET updatedAt = :now ADD stock :n',
      ConditionExpression: 'attribute_exists(pk) AND stock >= :minus AND stock = :expected',
      ExpressionAttributeValues: { ':n': -3, ':minus': 3, ':expected': 5, ':now': expect.any(String) },
    });
  });

  it('creates the stock item of a catalog product that has none, only while it is still absent', async () => {
    // Prepare
    ddb.on(GetCommand, { TableName: TEST_ENV.inventoryTable }).resolves({});
    ddb.on(GetCommand, { TableName: TEST_ENV.productsTable }).resolves({
      Item: { productId: PRODUCT_ID, name: 'Monitor', priceMinor: 1, currency: 'EUR', sellerId: 's' },
    });

    // Act
    const result = await adjustStock(putStock({ add: 7 }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ stock: 7, stockBefore: 0 });
    expect(transaction().update).toEqual({
      TableName: TEST_ENV.inventoryTable,
      Key: STOCK_KEY,
      UpdateExpression: 'SET entity = :entity, productId = :productId, updatedAt = :now ADD stock :n',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: {
        ':entity': 'STOCK',
        ':productId': PRODUCT_ID,
        ':n': 7,
        ':now': expect.any(String),
      },
    });
  });

  it('answers 404 and writes nothing when the product has neither a stock item nor a catalog entry', async () => {
    // Prepare
    stockIs(undefined);

    // Act
    const result = await adjustStock(putStock({ add: 1 }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result).error.code).toBe('NOT_FOUND');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it.each([
    ['the stock differs from expectedStock', { set: 4, expectedStock: 9 }, 'STOCK_MISMATCH'],
    ['the stock would go below zero', { add: -6 }, 'STOCK_WOULD_BE_NEGATIVE'],
  ])('answers 409 with the current stock and writes nothing when %s', async (_, body, code) => {
    // Prepare
    stockIs(5);

    // Act
    const result = await adjustStock(putStock(body), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result).error).toMatchObject({ code, details: [{ path: 'stock', currentStock: 5 }] });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 409 with the stock read after the transaction when the stock moved below the change meanwhile', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { ...STOCK_KEY, productId: PRODUCT_ID, stock: 5 } })
      .resolves({ Item: { ...STOCK_KEY, productId: PRODUCT_ID, stock: 1 } });
    ddb.on(TransactWriteCommand).rejects(conditionFailed(['ConditionalCheckFailed', 'None']));

    // Act
    const result = await adjustStock(putStock({ add: -3 }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result).error).toMatchObject({
      code: 'STOCK_WOULD_BE_NEGATIVE',
      details: [{ currentStock: 1 }],
    });
  });

  it.each([
    ['an empty body', {}],
    ['both set and add', { set: 1, add: 1 }],
    ['a negative set', { set: -1 }],
    ['add 0', { add: 0 }],
    ['a fraction', { add: 1.5 }],
    ['a string count', { set: '3' }],
    ['another field', { set: 1, stock: 1 }],
    ['a negative expectedStock', { set: 1, expectedStock: -1 }],
  ])('answers 400 to %s and reads and writes nothing', async (_, body) => {
    // Act
    const result = await adjustStock(putStock(body), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error.code).toBe('VALIDATION_FAILED');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 400 to a malformed product id and to malformed JSON', async () => {
    // Act
    const badId = await adjustStock(
      putStock({ set: 1 }, { pathParameters: { productId: 'a b' } }),
      lambdaContext(),
    );
    const badJson = await adjustStock(putStock('{"set":'), lambdaContext());

    // Assess
    expect([badId.statusCode, bodyOf(badId).error.code]).toEqual([400, 'INVALID_PRODUCT_ID']);
    expect([badJson.statusCode, bodyOf(badJson).error.code]).toEqual([400, 'MALFORMED_JSON']);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 403 to a customer and 401 without a verified caller, and touches nothing', async () => {
    // Act
    const customer = await adjustStock(
      putStock({ set: 1 }, callerContext({ sub: CUSTOMER_SUB })),
      lambdaContext(),
    );
    const anonymous = await adjustStock(putStock({ set: 1 }, callerContext(null)), lambdaContext());

    // Assess
    expect([customer.statusCode, bodyOf(customer).error.code]).toEqual([403, 'FORBIDDEN']);
    expect([anonymous.statusCode, bodyOf(anonymous).error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(ddb.calls()).toHaveLength(0);
  });
});
