import '#test/unit/setup-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as checkout } from '#functions/orders/handlers/checkout';
import { handler as clearCart } from '#functions/orders/handlers/clear-cart';
import { handler as getCart } from '#functions/orders/handlers/get-cart';
import { handler as setCartItem } from '#functions/orders/handlers/set-cart-item';
import type { IdempotencyItem } from '#functions/orders/model';
import { apiGatewayEvent, CUSTOMER_SUB, callerContext, lambdaContext } from '#test/helpers/fixtures';
import { HUB, MOUSE, PRODUCTS, transactionCanceled } from '#test/unit/helpers/dynamodb';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const CART_KEY = { pk: `CART#${CUSTOMER_SUB}`, sk: 'CART' };
const KEY = '6a1f0c0e-7c1b-4f4e-9a52-2f4d2b8f6c11';
const AT = '2025-03-01T11:00:00.000Z';

const cartItem = (lines: { productId: string; quantity: number }[], version = 1) => ({
  ...CART_KEY,
  entity: 'CART',
  lines,
  version,
  updatedAt: AT,
});

/** The catalog answers only for the products it holds. */
function catalogHolds(products = PRODUCTS) {
  ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
    const keys = (input.RequestItems?.[TEST_ENV.productsTable]?.Keys ?? []) as { productId: string }[];
    const wanted = new Set(keys.map((key) => key.productId));
    return { Responses: { [TEST_ENV.productsTable]: products.filter((p) => wanted.has(p.productId)) } };
  });
}

function cartHolds(item: ReturnType<typeof cartItem> | undefined) {
  ddb.on(GetCommand, { TableName: TEST_ENV.ordersTable, Key: CART_KEY }).resolves({ Item: item });
}

const bodyOf = (result: APIGatewayProxyResult) => JSON.parse(result.body);
const errorOf = (result: APIGatewayProxyResult) =>
  (bodyOf(result) as { error: { code: string; details: { path?: string; message: string }[] } }).error;

function expectNoWrites() {
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
}

const put = (productId: string, body: string) =>
  setCartItem(
    apiGatewayEvent('PUT /cart/items/{productId}', {
      pathParameters: { productId },
      path: `/cart/items/${productId}`,
      requestContext: { path: `/prod/cart/items/${productId}` },
      body,
    }),
    lambdaContext(),
  );

const checkoutWith = (overrides: Parameters<typeof apiGatewayEvent>[1] = {}) =>
  checkout(apiGatewayEvent('POST /cart/checkout', overrides), lambdaContext());

describe('Handlers: the cart', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    catalogHolds();
    cartHolds(undefined);
    ddb.on(GetCommand, { TableName: TEST_ENV.customersTable }).resolves({});
    ddb.on(TransactWriteCommand).resolves({});
  });

  describe('GET /cart', () => {
    it('answers the cart priced from the catalog now, with line totals and the total', async () => {
      // Prepare
      cartHolds(
        cartItem([
          { productId: MOUSE.productId, quantity: 2 },
          { productId: HUB.productId, quantity: 1 },
        ]),
      );

      // Act
      const result = await getCart(apiGatewayEvent('GET /cart'), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual({
        items: [
          {
            productId: MOUSE.productId,
            name: MOUSE.name,
            quantity: 2,
            unitPrice: { amountMinor: 2999, currency: 'EUR' },
            lineTotal: { amountMinor: 5998, currency: 'EUR' },
          },
          {
            productId: HUB.productId,
            name: HUB.name,
            quantity: 1,
            unitPrice: { amountMinor: 3999, currency: 'EUR' },
            lineTotal: { amountMinor: 3999, currency: 'EUR' },
          },
        ],
        total: { amountMinor: 9997, currency: 'EUR' },
        itemCount: 3,
        updatedAt: AT,
      });
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual(CART_KEY);
    });

    it('answers an empty cart with 200, no items and no total', async () => {
      // Act
      const result = await getCart(apiGatewayEvent('GET /cart'), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toEqual({ items: [], total: null, itemCount: 0, updatedAt: null });
      expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
    });

    it('reads the cart of the token subject only', async () => {
      // Act
      await getCart(apiGatewayEvent('GET /cart', callerContext({ sub: 'customer-b' })), lambdaContext());

      // Assess
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
        pk: 'CART#customer-b',
        sk: 'CART',
      });
    });

    it('leaves out a line whose product left the catalog, and shows no total for mixed currencies', async () => {
      // Prepare
      const dollars = { ...HUB, currency: 'USD' };
      catalogHolds([MOUSE, dollars]);
      cartHolds(
        cartItem([
          { productId: MOUSE.productId, quantity: 1 },
          { productId: HUB.productId, quantity: 1 },
          { productId: 'gone', quantity: 1 },
        ]),
      );

      // Act
      const result = await getCart(apiGatewayEvent('GET /cart'), lambdaContext());

      // Assess
      const cart = bodyOf(result);
      expect(cart.items.map((item: { productId: string }) => item.productId)).toEqual([
        MOUSE.productId,
        HUB.productId,
      ]);
      expect(cart.total).toBeNull();
    });
  });

  describe('PUT /cart/items/{productId}', () => {
    it('adds a line to a new cart with a put that must not find a cart, and answers the cart', async () => {
      // Act
      const result = await put(MOUSE.productId, '{"quantity":2}');

      // Assess
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result)).toMatchObject({
        items: [{ productId: MOUSE.productId, quantity: 2, lineTotal: { amountMinor: 5998 } }],
        total: { amountMinor: 5998, currency: 'EUR' },
      });
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
        TableName: TEST_ENV.ordersTable,
        Item: { ...CART_KEY, lines: [{ productId: MOUSE.productId, quantity: 2 }], version: 1 },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    });

    it('changes a held line on condition of the version read, and deletes the cart when its last line goes', async () => {
      // Prepare
      cartHolds(cartItem([{ productId: MOUSE.productId, quantity: 2 }], 3));

      // Act
      const changed = await put(MOUSE.productId, '{"quantity":5}');
      const removed = await put(MOUSE.productId, '{"quantity":0}');

      // Assess
      expect([changed.statusCode, removed.statusCode]).toEqual([200, 200]);
      expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
        Item: { lines: [{ productId: MOUSE.productId, quantity: 5 }], version: 4 },
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': 3 },
      });
      expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
        Key: CART_KEY,
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': 3 },
      });
      expect(bodyOf(removed)).toEqual({ items: [], total: null, itemCount: 0, updatedAt: null });
    });

    it('reads again and decides again when a concurrent change won the race', async () => {
      // Prepare
      ddb
        .on(GetCommand, { TableName: TEST_ENV.ordersTable, Key: CART_KEY })
        .resolvesOnce({ Item: cartItem([{ productId: HUB.productId, quantity: 1 }], 1) })
        .resolves({ Item: cartItem([{ productId: HUB.productId, quantity: 4 }], 2) });
      ddb
        .on(PutCommand)
        .rejectsOnce(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }))
        .resolves({});

      // Act
      const result = await put(MOUSE.productId, '{"quantity":1}');

      // Assess
      expect(result.statusCode).toBe(200);
      expect(ddb.commandCalls(PutCommand)[1]?.args[0].input.Item).toMatchObject({
        lines: [
          { productId: HUB.productId, quantity: 4 },
          { productId: MOUSE.productId, quantity: 1 },
        ],
        version: 3,
      });
    });

    it('answers 409 CART_CHANGED when concurrent changes keep winning, after a bounded number of tries', async () => {
      // Prepare
      ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }));

      // Act
      const result = await put(MOUSE.productId, '{"quantity":1}');

      // Assess
      expect(result.statusCode).toBe(409);
      expect(errorOf(result).code).toBe('CART_CHANGED');
      expect(ddb.commandCalls(PutCommand)).toHaveLength(6);
    });

    it('writes nothing when the cart holds that quantity already', async () => {
      // Prepare
      cartHolds(cartItem([{ productId: MOUSE.productId, quantity: 2 }]));

      // Act
      const result = await put(MOUSE.productId, '{"quantity":2}');

      // Assess
      expect(result.statusCode).toBe(200);
      expectNoWrites();
    });

    it.each([
      ['a quantity below 0', '{"quantity":-1}', 'quantity'],
      ['a quantity over 1000', '{"quantity":1001}', 'quantity'],
      ['a fractional quantity', '{"quantity":1.5}', 'quantity'],
      ['a quantity as text', '{"quantity":"2"}', 'quantity'],
      ['no quantity', '{}', 'quantity'],
      ['a price', '{"quantity":1,"price":1}', ''],
      ['an array', '[1]', ''],
    ])('refuses %s with 400 VALIDATION_FAILED and writes nothing', async (_, body, path) => {
      // Act
      const result = await put(MOUSE.productId, body);

      // Assess
      expect(result.statusCode).toBe(400);
      expect(errorOf(result).code).toBe('VALIDATION_FAILED');
      expect(errorOf(result).details.map((detail) => detail.path)).toContain(path);
      expectNoWrites();
    });

    it('refuses malformed JSON (400), a malformed product id (400) and an unknown product (404), writing nothing', async () => {
      // Act
      const malformed = await put(MOUSE.productId, '{"quantity":');
      const badId = await put('../etc', '{"quantity":1}');
      const unknown = await put('99999999-9999-9999-9999-999999999999', '{"quantity":1}');

      // Assess
      expect([malformed.statusCode, badId.statusCode, unknown.statusCode]).toEqual([400, 400, 404]);
      expect([errorOf(malformed).code, errorOf(badId).code, errorOf(unknown).code]).toEqual([
        'MALFORMED_JSON',
        'INVALID_PRODUCT_ID',
        'PRODUCT_NOT_FOUND',
      ]);
      expectNoWrites();
    });

    it('removes a line whose product left the catalog', async () => {
      // Prepare
      cartHolds(cartItem([{ productId: 'gone', quantity: 1 }], 2));

      // Act
      const result = await put('gone', '{"quantity":0}');

      // Assess
      expect(result.statusCode).toBe(200);
      expect(ddb.commandCalls(DeleteCommand)).toHaveLength(1);
    });

    it('refuses a new line in a full cart (422 CART_FULL) and a product of another currency (422 MIXED_CURRENCIES)', async () => {
      // Prepare
      const full = Array.from({ length: 50 }, (_, i) => ({ productId: `p-${i}`, quantity: 1 }));
      const others = full.map((line) => ({ ...MOUSE, productId: line.productId }));
      catalogHolds([...PRODUCTS, ...others, { ...MOUSE, productId: 'dollars', currency: 'USD' }]);
      cartHolds(cartItem(full));
      const whenFull = await put(HUB.productId, '{"quantity":1}');
      cartHolds(cartItem([{ productId: MOUSE.productId, quantity: 1 }]));

      // Act
      const mixed = await put('dollars', '{"quantity":1}');

      // Assess
      expect([whenFull.statusCode, mixed.statusCode]).toEqual([422, 422]);
      expect([errorOf(whenFull).code, errorOf(mixed).code]).toEqual(['CART_FULL', 'MIXED_CURRENCIES']);
      expectNoWrites();
    });

    it('answers 415 to a body that is not JSON, and 401 without a signed-in caller, writing nothing', async () => {
      // Act
      const text = await setCartItem(
        apiGatewayEvent('PUT /cart/items/{productId}', { headers: { 'Content-Type': 'text/plain' } }),
        lambdaContext(),
      );
      const anonymous = await setCartItem(
        apiGatewayEvent('PUT /cart/items/{productId}', callerContext(null)),
        lambdaContext(),
      );

      // Assess
      expect([text.statusCode, anonymous.statusCode]).toEqual([415, 401]);
      expectNoWrites();
    });
  });

  describe('DELETE /cart', () => {
    it("deletes the caller's cart item and answers 204 with no body", async () => {
      // Act
      const result = await clearCart(apiGatewayEvent('DELETE /cart'), lambdaContext());

      // Assess
      expect(result).toMatchObject({ statusCode: 204, body: '' });
      expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
        TableName: TEST_ENV.ordersTable,
        Key: CART_KEY,
      });
    });
  });

  describe('POST /cart/checkout', () => {
    const FILLED = cartItem(
      [
        { productId: MOUSE.productId, quantity: 2 },
        { productId: HUB.productId, quantity: 1 },
      ],
      4,
    );

    function recordOf(call = 0): IdempotencyItem {
      return ddb.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems?.[0]?.Put
        ?.Item as IdempotencyItem;
    }

    it('writes the key record, the order and the delete of the cart at its version in one transaction', async () => {
      // Prepare
      cartHolds(FILLED);

      // Act
      const result = await checkoutWith();

      // Assess
      expect(result.statusCode).toBe(202);
      const order = bodyOf(result);
      expect(order).toMatchObject({
        customerId: CUSTOMER_SUB,
        status: 'PENDING',
        total: { amountMinor: 9997, currency: 'EUR' },
        lines: [
          { productId: MOUSE.productId, quantity: 2, unitPrice: { amountMinor: 2999 } },
          { productId: HUB.productId, quantity: 1, unitPrice: { amountMinor: 3999 } },
        ],
      });
      expect(result.headers?.location).toBe(`/prod/orders/${order.orderId}`);
      const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items).toHaveLength(3);
      expect(items[0]?.Put?.Item).toMatchObject({
        pk: `IDEMPOTENCY#${CUSTOMER_SUB}#${KEY}`,
        orderId: order.orderId,
        cartSignature: `${MOUSE.productId}=2,${HUB.productId}=1`,
      });
      expect(items[1]?.Put?.Item).toMatchObject({ entity: 'ORDER', orderId: order.orderId });
      expect(items[2]).toEqual({
        Delete: {
          TableName: TEST_ENV.ordersTable,
          Key: CART_KEY,
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': 4 },
        },
      });
    });

    it('replays the order when the same key comes again after the checkout emptied the cart', async () => {
      // Prepare
      cartHolds(FILLED);
      const first = await checkoutWith();
      cartHolds(undefined);
      ddb
        .on(GetCommand, {
          TableName: TEST_ENV.ordersTable,
          Key: { pk: `IDEMPOTENCY#${CUSTOMER_SUB}#${KEY}`, sk: 'IDEMPOTENCY' },
        })
        .resolves({ Item: recordOf() });

      // Act
      const replay = await checkoutWith();

      // Assess
      expect(replay.statusCode).toBe(202);
      expect(replay.body).toBe(first.body);
      expect(replay.headers?.['idempotent-replayed']).toBe('true');
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('replays the order to a concurrent checkout with the same key that read the cart before it was cleared', async () => {
      // Prepare
      cartHolds(FILLED);
      await checkoutWith();
      const recorded = recordOf();
      ddb
        .on(TransactWriteCommand)
        .rejects(transactionCanceled('ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'));
      ddb
        .on(GetCommand, { TableName: TEST_ENV.ordersTable, Key: { pk: recorded.pk, sk: 'IDEMPOTENCY' } })
        .resolves({ Item: recorded });

      // Act
      const replay = await checkoutWith();

      // Assess
      expect(replay.statusCode).toBe(202);
      expect(bodyOf(replay).orderId).toBe(recorded.orderId);
    });

    it('refuses the key with 409 IDEMPOTENCY_KEY_REUSED for another body, or for a cart that holds other lines since', async () => {
      // Prepare
      cartHolds(FILLED);
      await checkoutWith();
      const recorded = recordOf();
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('ConditionalCheckFailed', 'None', 'None'));
      ddb
        .on(GetCommand, { TableName: TEST_ENV.ordersTable, Key: { pk: recorded.pk, sk: 'IDEMPOTENCY' } })
        .resolves({ Item: recorded });
      cartHolds(cartItem([{ productId: HUB.productId, quantity: 3 }], 1));
      const otherCart = await checkoutWith();
      cartHolds(undefined);

      // Act
      const otherBody = await checkoutWith({ body: '{"payment":{"method":"card","token":"tok_decline"}}' });

      // Assess
      expect([otherCart.statusCode, otherBody.statusCode]).toEqual([409, 409]);
      expect([errorOf(otherCart).code, errorOf(otherBody).code]).toEqual([
        'IDEMPOTENCY_KEY_REUSED',
        'IDEMPOTENCY_KEY_REUSED',
      ]);
    });

    it('answers 422 CART_EMPTY for an empty cart with an unused (or expired) key, and writes nothing', async () => {
      // Prepare
      const expired = await (async () => {
        ddb
          .on(GetCommand, {
            TableName: TEST_ENV.ordersTable,
            Key: { pk: `IDEMPOTENCY#${CUSTOMER_SUB}#old`, sk: 'IDEMPOTENCY' },
          })
          .resolves({ Item: { requestHash: 'x', expiresAt: 1 } });
        return checkoutWith({ headers: { 'Idempotency-Key': 'old' } });
      })();

      // Act
      const result = await checkoutWith();

      // Assess
      expect([result.statusCode, expired.statusCode]).toEqual([422, 422]);
      expect(errorOf(result)).toMatchObject({ code: 'CART_EMPTY', details: [{ path: 'cart' }] });
      expectNoWrites();
    });

    it('answers 409 CART_CHANGED when the cart changed between its read and the transaction', async () => {
      // Prepare
      cartHolds(FILLED);
      ddb.on(TransactWriteCommand).rejects(transactionCanceled('None', 'None', 'ConditionalCheckFailed'));

      // Act
      const result = await checkoutWith();

      // Assess
      expect(result.statusCode).toBe(409);
      expect(errorOf(result).code).toBe('CART_CHANGED');
    });

    it('refuses a suspended customer with 403 CUSTOMER_SUSPENDED before reading the cart', async () => {
      // Prepare
      cartHolds(FILLED);
      ddb.on(GetCommand, { TableName: TEST_ENV.customersTable }).resolves({
        Item: {
          customerId: CUSTOMER_SUB,
          entity: 'CUSTOMER',
          name: 'Alice',
          notifications: { email: true, sms: false },
          status: 'SUSPENDED',
          createdAt: AT,
          updatedAt: AT,
          version: 2,
        },
      });

      // Act
      const result = await checkoutWith();

      // Assess
      expect(result.statusCode).toBe(403);
      expect(errorOf(result).code).toBe('CUSTOMER_SUSPENDED');
      expect(ddb.commandCalls(GetCommand, { Key: CART_KEY })).toHaveLength(0);
      expectNoWrites();
    });

    it('answers 422 UNKNOWN_PRODUCT naming the cart line whose product left the catalog', async () => {
      // Prepare
      cartHolds(
        cartItem([
          { productId: MOUSE.productId, quantity: 1 },
          { productId: 'gone', quantity: 1 },
        ]),
      );

      // Act
      const result = await checkoutWith();

      // Assess
      expect(result.statusCode).toBe(422);
      expect(errorOf(result)).toMatchObject({
        code: 'UNKNOWN_PRODUCT',
        details: [{ path: 'cart.items.1.productId' }],
      });
      expectNoWrites();
    });

    it.each([
      ['no Idempotency-Key', { headers: { 'Idempotency-Key': undefined } }, 400, 'MISSING_IDEMPOTENCY_KEY'],
      ['malformed JSON', { body: '{"payment":' }, 400, 'MALFORMED_JSON'],
      [
        'lines in the body',
        { body: '{"payment":{"method":"card","token":"tok_ok"},"items":[]}' },
        400,
        'VALIDATION_FAILED',
      ],
      ['no payment', { body: '{}' }, 400, 'VALIDATION_FAILED'],
    ] as const)('refuses %s with a %i %s and writes nothing', async (_, overrides, status, code) => {
      // Prepare
      cartHolds(FILLED);

      // Act
      const result = await checkoutWith(overrides);

      // Assess
      expect(result.statusCode).toBe(status);
      expect(errorOf(result).code).toBe(code);
      expectNoWrites();
    });
  });
});
