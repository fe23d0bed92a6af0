import '../setup-env';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DynamoDBDocumentClient,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CatalogUnavailableError, ProductCatalog, productView } from '#functions/catalog/products';
import { MOUSE, PRODUCTS } from '../helpers/dynamodb';

const TABLE = 'products-test';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

const keysOf = (input: BatchGetCommandInput) =>
  (input.RequestItems?.[TABLE]?.Keys ?? []).map((key) => String(key.productId));

const product = (productId: string) => ({
  productId,
  name: `Product ${productId}`,
  priceMinor: 100,
  currency: 'EUR',
  sellerId: 'seller-1',
});

describe('Class: ProductCatalog', () => {
  beforeEach(() => {
    ddb.reset();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('Method: getMany', () => {
    it('reads the products with one projected BatchGet and maps them by id', async () => {
      // Prepare
      ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [...PRODUCTS] } });
      const catalog = new ProductCatalog(client, TABLE);

      // Act
      const found = await catalog.getMany(PRODUCTS.map((item) => item.productId));

      // Assess
      expect([...found.keys()]).toEqual(PRODUCTS.map((item) => item.productId));
      expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]).toMatchObject({
        ProjectionExpression: 'productId, #name, priceMinor, currency, sellerId',
        ExpressionAttributeNames: { '#name': 'name' },
      });
    });

    it('splits more than 100 ids into BatchGets of at most 100 keys', async () => {
      // Prepare
      const ids = Array.from({ length: 150 }, (_, index) => `product-${index}`);
      ddb
        .on(BatchGetCommand)
        .callsFake((input: BatchGetCommandInput) => ({ Responses: { [TABLE]: keysOf(input).map(product) } }));
      const catalog = new ProductCatalog(client, TABLE);

      // Act
      const found = await catalog.getMany(ids);

      // Assess
      expect(ddb.commandCalls(BatchGetCommand).map((call) => keysOf(call.args[0].input).length)).toEqual([
        100, 50,
      ]);
      expect(found.size).toBe(150);
    });

    it('leaves unknown ids out of the map', async () => {
      // Prepare
      ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [MOUSE] } });
      const catalog = new ProductCatalog(client, TABLE);

      // Act
      const found = await catalog.getMany([MOUSE.productId, 'ghost']);

      // Assess
      expect(found.has('ghost')).toBe(false);
      expect(found.size).toBe(1);
    });

    it('retries unprocessed keys after a backoff', async () => {
      // Prepare
      vi.useFakeTimers();
      ddb
        .on(BatchGetCommand)
        .resolvesOnce({
          Responses: { [TABLE]: [product('a')] },
          UnprocessedKeys: { [TABLE]: { Keys: [{ productId: 'b' }] } },
        })
        .resolves({ Responses: { [TABLE]: [product('b')] } });
      const catalog = new ProductCatalog(client, TABLE);

      // Act
      const pending = catalog.getMany(['a', 'b']);
      await vi.runAllTimersAsync();
      const found = await pending;

      // Assess
      expect([...found.keys()].sort()).toEqual(['a', 'b']);
      expect(ddb.commandCalls(BatchGetCommand).map((call) => keysOf(call.args[0].input))).toEqual([
        ['a', 'b'],
        ['b'],
      ]);
    });

    it('gives up with CatalogUnavailableError when keys stay unprocessed', async () => {
      // Prepare
      vi.useFakeTimers();
      ddb.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [{ productId: 'a' }] } } });
      const catalog = new ProductCatalog(client, TABLE);

      // Act
      const outcome = catalog.getMany(['a']).catch((error: unknown) => error);
      await vi.runAllTimersAsync();

      // Assess
      const error = await outcome;
      expect(error).toBeInstanceOf(CatalogUnavailableError);
      expect(error).toMatchObject({ message: 'Catalog lookup left 1 product(s) unprocessed' });
      expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(6);
    });
  });

  describe('Method: list', () => {
    it('returns one page sorted by product id with the key to continue from', async () => {
      // Prepare
      ddb
        .on(ScanCommand)
        .resolves({ Items: [product('b'), product('a')], LastEvaluatedKey: { productId: 'b' } });
      const catalog = new ProductCatalog(client, TABLE);

      // Act
      const page = await catalog.list(2, { productId: 'a0' });

      // Assess
      expect(page.items.map((item) => item.productId)).toEqual(['a', 'b']);
      expect(page.next).toEqual({ productId: 'b' });
      expect(ddb.commandCalls(ScanCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Limit: 2,
        ExclusiveStartKey: { productId: 'a0' },
      });
    });
  });
});

describe('Function: productView', () => {
  it('presents the price as money in minor units, with the stock of the inventory', () => {
    // Act & Assess
    expect(productView(MOUSE, new Map([[MOUSE.productId, 25]]))).toEqual({
      productId: MOUSE.productId,
      name: 'Wireless Mouse',
      price: { amountMinor: 2999, currency: 'EUR' },
      sellerId: 'seller-peripherals',
      stock: 25,
    });
  });

  it('shows a product without a stock item as out of stock', () => {
    // Act & Assess
    expect(productView(MOUSE, new Map())).toMatchObject({ stock: 0 });
  });
});
