import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { admin, customer, type Session } from '../helpers/auth';
import { documentClient, http, startRuntime, tableName } from '../helpers/local-runtime';

const KEYBOARD = '22222222-2222-2222-2222-222222222222';
const HUB = '33333333-3333-3333-3333-333333333333';

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details: { path?: string; message: string; currentStock?: number }[];
  };
}

describe('End to end: back-office restock over HTTP against the local runtime', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let inventoryTable: string;
  let ops: Session;

  beforeAll(async () => {
    runtime = await startRuntime();
    db = documentClient(runtime);
    inventoryTable = tableName(runtime, 'inventory');
    ops = await admin(runtime);
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const putStock = (productId: string, body: unknown, headers: Record<string, string> = ops.headers) =>
    http(runtime.apiUrl, `/admin/products/${productId}/stock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const catalogStock = async (productId: string) =>
    ((await http(runtime.apiUrl, `/products/${productId}`)).body as { stock: number }).stock;
  const storedStock = async (productId: string) =>
    (
      await db.send(
        new GetCommand({
          TableName: inventoryTable,
          Key: { pk: `STOCK#${productId}`, sk: 'STOCK' },
          ConsistentRead: true,
        }),
      )
    ).Item?.stock as number | undefined;
  const audits = async (productId: string) =>
    (
      await db.send(
        new QueryCommand({
          TableName: inventoryTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `AUDIT#STOCK#${productId}` },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];

  it('sets and adds to the stock, each visible at once in GET /products/{id} and audited with who and before/after', async () => {
    // Prepare
    const before = await storedStock(KEYBOARD);

    // Act
    const set = await putStock(KEYBOARD, { set: 40, reason: 'stock count' });
    const afterSet = await catalogStock(KEYBOARD);
    const add = await putStock(KEYBOARD, { add: 15, expectedStock: 40 });
    const afterAdd = await catalogStock(KEYBOARD);
    const take = await putStock(KEYBOARD, { add: -5 });
    const afterTake = await catalogStock(KEYBOARD);

    // Assess
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      productId: KEYBOARD,
      stock: 40,
      stockBefore: before,
      adjustedBy: ops.email,
    });
    expect(afterSet).toBe(40);
    expect(add.status).toBe(200);
    expect(add.body).toMatchObject({ stock: 55, stockBefore: 40 });
    expect(afterAdd).toBe(55);
    expect(take.status).toBe(200);
    expect(afterTake).toBe(50);
    const records = await audits(KEYBOARD);
    expect(
      records.map((record) => [
        record.change,
        record.quantity,
        record.stockBefore,
        record.stockAfter,
        record.adjustedBy,
      ]),
    ).toEqual([
      ['SET', 40, before, 40, ops.email],
      ['ADD', 15, 40, 55, ops.email],
      ['ADD', -5, 55, 50, ops.email],
    ]);
    expect(records[0]).toMatchObject({ reason: 'stock count', adjustedBySub: ops.sub });
  });

  it('refuses each bad request with its 4xx and leaves the stock and the audit unchanged', async () => {
    // Prepare
    const alice = await customer(runtime, 'alice');
    const stock = await storedStock(HUB);
    const audited = (await audits(HUB)).length;

    // Act
    const answers = {
      badBody: await putStock(HUB, { set: 1, add: 1 }),
      notJson: await putStock(HUB, '{"set":'),
      unknownProduct: await putStock('99999999-9999-9999-9999-999999999999', { add: 1 }),
      negative: await putStock(HUB, { add: -((stock ?? 0) + 1) }),
      wrongExpected: await putStock(HUB, { set: 3, expectedStock: (stock ?? 0) + 7 }),
      noToken: await putStock(HUB, { set: 3 }, {}),
      asCustomer: await putStock(HUB, { set: 3 }, alice.headers),
    };

    // Assess
    const codes = Object.fromEntries(
      Object.entries(answers).map(([name, answer]) => [
        name,
        [answer.status, (answer.body as ErrorBody).error?.code],
      ]),
    );
    expect(codes).toMatchObject({
      badBody: [400, 'VALIDATION_FAILED'],
      notJson: [400, 'MALFORMED_JSON'],
      unknownProduct: [404, 'NOT_FOUND'],
      negative: [409, 'STOCK_WOULD_BE_NEGATIVE'],
      wrongExpected: [409, 'STOCK_MISMATCH'],
    });
    expect(answers.noToken.status).toBe(401);
    expect([answers.asCustomer.status, (answers.asCustomer.body as ErrorBody).error.code]).toEqual([
      403,
      'FORBIDDEN',
    ]);
    expect((answers.negative.body as ErrorBody).error.details[0]?.currentStock).toBe(stock);
    expect((answers.wrongExpected.body as ErrorBody).error.details[0]?.currentStock).toBe(stock);
    expect(await storedStock(HUB)).toBe(stock);
    expect(await catalogStock(HUB)).toBe(stock);
    expect(await audits(HUB)).toHaveLength(audited);
    expect(await storedStock('99999999-9999-9999-9999-999999999999')).toBeUndefined();
  });

  it('adds a product that GET /products/{id} shows at once, with stock 0 until it is restocked', async () => {
    // Prepare
    const alice = await customer(runtime, 'alice');
    const productsTable = tableName(runtime, 'products');
    const post = (body: unknown, headers: Record<string, string> = ops.headers) =>
      http(runtime.apiUrl, '/admin/products', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const product = {
      name: 'Laptop Stand',
      description: 'Aluminium, adjustable height',
      price: { amountMinor: 4999, currency: 'EUR' },
      sellerId: 'seller-peripherals',
    };

    // Act
    const created = await post(product);
    const productId = (created.body as { productId: string }).productId;
    const shown = await http(runtime.apiUrl, `/products/${productId}`);
    const restocked = await putStock(productId, { set: 12 });
    const shownAfter = await http(runtime.apiUrl, `/products/${productId}`);
    const again = await post({ ...product, productId });
    const invalid = await post({
      ...product,
      productId: 'stand-invalid',
      price: { amountMinor: -1, currency: 'EUR' },
    });
    const asCustomer = await post({ ...product, productId: 'stand-by-customer' }, alice.headers);

    // Assess
    expect(created.status).toBe(201);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ productId, ...product, stock: 0 });
    expect(restocked.status).toBe(200);
    expect((shownAfter.body as { stock: number }).stock).toBe(12);
    expect([again.status, (again.body as ErrorBody).error.code]).toEqual([409, 'PRODUCT_EXISTS']);
    expect([invalid.status, (invalid.body as ErrorBody).error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect([asCustomer.status, (asCustomer.body as ErrorBody).error.code]).toEqual([403, 'FORBIDDEN']);
    for (const absent of ['stand-invalid', 'stand-by-customer']) {
      const item = await db.send(
        new GetCommand({ TableName: productsTable, Key: { productId: absent }, ConsistentRead: true }),
      );
      expect(item.Item, absent).toBeUndefined();
    }
  });
});
