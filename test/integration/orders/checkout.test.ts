import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductCatalog } from '#functions/catalog/products';
import {
  type CheckoutDeps,
  type CheckoutResult,
  checkout,
  setCartItem,
  viewCart,
} from '#functions/orders/cart';
import { CartStore } from '#functions/orders/cart-store';
import { OrderStore } from '#functions/orders/order-store';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { emittedEvents } from '#test/helpers/table-events';

const ORDERS = 'orders';
const PRODUCTS = 'products';
const MOUSE = {
  productId: 'mouse',
  name: 'Wireless Mouse',
  priceMinor: 2999,
  currency: 'EUR',
  sellerId: 's-1',
};
const HUB = { productId: 'hub', name: 'USB-C Hub', priceMinor: 4599, currency: 'EUR', sellerId: 's-2' };
const PAYMENT = { method: 'card' as const, token: 'tok_ok' };

let ddb: DynamoDbLocal | undefined;
let raw: DynamoDBClient;
let client: DynamoDBDocumentClient;
let carts: CartStore;
let deps: CheckoutDeps;
let orderSeq = 0;

const newOrderId = () => `01JN8S7QG0${String(orderSeq++).padStart(16, '0')}`;
const active = {
  standingOf: async (identity: { sub: string }) => ({
    status: 'ACTIVE' as const,
    recipient: { customerId: identity.sub, notifications: { email: true, sms: false } },
  }),
};
const cartDeps = () => ({ carts, catalog: deps.catalog, clock: () => new Date() });
const add = (customerId: string, productId: string, quantity: number) =>
  setCartItem(cartDeps(), { customerId, productId, quantity });
const checkOut = (customerId: string, idempotencyKey: string, overrides: Partial<CheckoutDeps> = {}) =>
  checkout({ ...deps, ...overrides }, { request: { payment: PAYMENT }, customerId, idempotencyKey });

async function itemsOf(prefix: string): Promise<Record<string, unknown>[]> {
  const { Items } = await client.send(
    new ScanCommand({
      TableName: ORDERS,
      ConsistentRead: true,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': prefix },
    }),
  );
  return Items ?? [];
}

const orderIdOf = (result: CheckoutResult) => (result.kind === 'ACCEPTED' ? result.orderId : undefined);

describe('Function: checkout (DynamoDB Local)', () => {
  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    raw = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    await raw.send(
      new CreateTableCommand({
        TableName: ORDERS,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await raw.send(
      new CreateTableCommand({
        TableName: PRODUCTS,
        AttributeDefinitions: [{ AttributeName: 'productId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'productId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (const product of [MOUSE, HUB])
      await client.send(new PutCommand({ TableName: PRODUCTS, Item: product }));
    carts = new CartStore(client, ORDERS);
    deps = {
      store: new OrderStore(client, ORDERS),
      carts,
      catalog: new ProductCatalog(client, PRODUCTS),
      customers: active,
      clock: () => new Date(),
      newOrderId,
      backoff: async () => {},
    };
  });

  afterAll(async () => {
    raw?.destroy();
    await ddb?.stop();
  });

  it('creates the order from the cart with catalog prices and deletes the cart in the same transaction; a replay returns it', async () => {
    // Prepare
    await add('alice', MOUSE.productId, 2);
    await add('alice', HUB.productId, 1);

    // Act
    const placed = await checkOut('alice', 'key-1');
    const replay = await checkOut('alice', 'key-1');

    // Assess
    expect(placed).toMatchObject({ kind: 'ACCEPTED', replayed: false, statusCode: 202 });
    expect(replay).toMatchObject({ kind: 'ACCEPTED', replayed: true, orderId: orderIdOf(placed) });
    expect(replay.kind === 'ACCEPTED' && placed.kind === 'ACCEPTED' && replay.body === placed.body).toBe(
      true,
    );
    expect(await itemsOf('CART#alice')).toEqual([]);
    const orders = (await itemsOf('ORDER#')).filter((order) => order.customerId === 'alice');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      status: 'PENDING',
      lines: [
        { productId: MOUSE.productId, quantity: 2, lineTotal: { amountMinor: 5998, currency: 'EUR' } },
        { productId: HUB.productId, quantity: 1, lineTotal: { amountMinor: 4599, currency: 'EUR' } },
      ],
      total: { amountMinor: 10597, currency: 'EUR' },
    });
    const created = (await emittedEvents(localDynamoClientConfig(ddb?.endpoint ?? ''), ORDERS)).filter(
      (event) => event.eventType === 'OrderCreated' && event.aggregateId === orderIdOf(placed),
    );
    expect(created).toHaveLength(1);
    expect((await viewCart(cartDeps(), 'alice')).items).toEqual([]);
  });

  it('writes nothing and keeps the new cart when the cart changed between its read and the transaction', async () => {
    // Prepare: another request adds a line right after the checkout read the cart
    await add('bob', MOUSE.productId, 1);
    const racing = Object.create(carts) as CartStore;
    racing.get = async (customerId) => {
      const read = await carts.get(customerId);
      await add('bob', HUB.productId, 3);
      return read;
    };

    // Act
    const result = await checkOut('bob', 'key-bob', { carts: racing });
    const retried = await checkOut('bob', 'key-bob');

    // Assess
    expect(result).toEqual({ kind: 'CART_CHANGED' });
    expect(retried).toMatchObject({ kind: 'ACCEPTED', replayed: false });
    const orders = (await itemsOf('ORDER#')).filter((order) => order.customerId === 'bob');
    expect(orders).toHaveLength(1);
    expect(orders[0]?.lines).toMatchObject([
      { productId: MOUSE.productId, quantity: 1 },
      { productId: HUB.productId, quantity: 3 },
    ]);
    expect(await itemsOf('CART#bob')).toEqual([]);
  });

  it('answers CART_EMPTY for an empty cart and writes nothing', async () => {
    // Prepare
    const before = (await itemsOf('')).length;

    // Act
    const result = await checkOut('carol', 'key-carol');

    // Assess
    expect(result).toEqual({ kind: 'CART_EMPTY' });
    expect(await itemsOf('')).toHaveLength(before);
  });

  it('creates one order for concurrent checkouts with one key, and answers every one with it', async () => {
    // Prepare
    await add('dave', MOUSE.productId, 1);

    // Act
    const results = await Promise.all(Array.from({ length: 5 }, () => checkOut('dave', 'key-dave')));

    // Assess
    const ids = new Set(results.map(orderIdOf));
    expect(results.every((result) => result.kind === 'ACCEPTED')).toBe(true);
    expect(ids.size).toBe(1);
    expect((await itemsOf('ORDER#')).filter((order) => order.customerId === 'dave')).toHaveLength(1);
    expect(await itemsOf('CART#dave')).toEqual([]);
  });

  it('refuses a used key for a cart filled again with other lines, and keeps that cart', async () => {
    // Prepare
    await add('erin', MOUSE.productId, 1);
    await checkOut('erin', 'key-erin');
    await add('erin', HUB.productId, 2);

    // Act
    const reused = await checkOut('erin', 'key-erin');

    // Assess
    expect(reused).toEqual({ kind: 'KEY_REUSED' });
    expect((await viewCart(cartDeps(), 'erin')).items).toMatchObject([
      { productId: HUB.productId, quantity: 2 },
    ]);
  });

  it("keeps each customer's cart to themselves: another customer sees, changes and checks out only their own", async () => {
    // Prepare
    await add('frank', MOUSE.productId, 4);

    // Act
    const seenByGina = await viewCart(cartDeps(), 'gina');
    const ginaChecksOut = await checkOut('gina', 'key-gina');
    await add('gina', MOUSE.productId, 0);

    // Assess
    expect(seenByGina.items).toEqual([]);
    expect(ginaChecksOut).toEqual({ kind: 'CART_EMPTY' });
    expect((await viewCart(cartDeps(), 'frank')).items).toMatchObject([
      { productId: MOUSE.productId, quantity: 4 },
    ]);
  });
});
