import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { admin, customer, type Session } from '../helpers/auth';
import { documentClient, http, scanAll, startRuntime, tableName } from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';
const KEYBOARD = '22222222-2222-2222-2222-222222222222';
const UNKNOWN = '99999999-9999-9999-9999-999999999999';
const PAYMENT = { payment: { method: 'card', token: 'tok_ok' } };

interface CartBody {
  items: {
    productId: string;
    quantity: number;
    unitPrice: { amountMinor: number };
    lineTotal: { amountMinor: number };
  }[];
  total: { amountMinor: number; currency: string } | null;
  itemCount: number;
}

interface ErrorBody {
  error: { code: string; details: { path?: string; message: string }[] };
}

const codeOf = (body: unknown) => (body as ErrorBody).error.code;

describe('End to end: the cart over HTTP against the local runtime', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let ordersTable: string;

  beforeAll(async () => {
    runtime = await startRuntime();
    db = documentClient(runtime);
    ordersTable = tableName(runtime, 'orders');
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const getCart = (who: Session) => http(runtime.apiUrl, '/cart', { headers: who.headers });
  const setItem = (who: Session, productId: string, body: unknown) =>
    http(runtime.apiUrl, `/cart/items/${productId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...who.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const clearCart = (who: Session) =>
    http(runtime.apiUrl, '/cart', { method: 'DELETE', headers: who.headers });
  const checkout = (who: Session, key: string | undefined, body: unknown = PAYMENT) =>
    http(runtime.apiUrl, '/cart/checkout', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
        ...who.headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  /** A checkout of `who` while the back office has them suspended (reinstated after). */
  const suspendedCheckout = async (who: Session) => {
    const operator = await admin(runtime);
    const setStatus = (status: string) =>
      http(runtime.apiUrl, `/admin/customers/${encodeURIComponent(who.sub)}/status`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...operator.headers },
        body: JSON.stringify({ status }),
      });
    await http(runtime.apiUrl, '/me', { headers: who.headers });
    expect((await setStatus('SUSPENDED')).status).toBe(200);
    const refused = await checkout(who, 'cart-suspended');
    expect((await setStatus('ACTIVE')).status).toBe(200);
    return refused;
  };
  /** What the orders table holds of a customer: their cart, key records and orders. */
  const holdingsOf = async (who: Session) =>
    (await scanAll(db, ordersTable))
      .filter(
        (item) =>
          item.pk === `CART#${who.sub}` ||
          String(item.pk).startsWith(`IDEMPOTENCY#${who.sub}#`) ||
          item.customerId === who.sub,
      )
      .map((item) => JSON.stringify([item.pk, item.sk, item.version, item.lines]))
      .sort();

  it('fills, changes and empties a cart, checks it out into an order that reaches CONFIRMED, and replays the checkout', async () => {
    // Prepare
    const alice = await customer(runtime, 'cart-alice');
    const empty = await getCart(alice);
    await setItem(alice, KEYBOARD, { quantity: 1 });
    await clearCart(alice);
    const afterClear = await getCart(alice);
    await setItem(alice, MOUSE, { quantity: 1 });
    await setItem(alice, KEYBOARD, { quantity: 3 });
    await setItem(alice, MOUSE, { quantity: 2 });
    const removed = await setItem(alice, KEYBOARD, { quantity: 0 });
    const cart = await getCart(alice);

    // Act
    const placed = await checkout(alice, 'cart-alice-1');
    const replay = await checkout(alice, 'cart-alice-1');
    const orderId = (placed.body as { orderId: string }).orderId;
    const confirmed = await waitFor(
      async () => {
        const order = await http(runtime.apiUrl, `/orders/${orderId}`, { headers: alice.headers });
        return (order.body as { status: string }).status === 'CONFIRMED' ? order : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: `order ${orderId} CONFIRMED` },
    );

    // Assess
    expect([empty.status, empty.body]).toEqual([
      200,
      { items: [], total: null, itemCount: 0, updatedAt: null },
    ]);
    expect((afterClear.body as CartBody).items).toEqual([]);
    expect((removed.body as CartBody).items.map((item) => item.productId)).toEqual([MOUSE]);
    const priced = cart.body as CartBody;
    expect(priced.items).toMatchObject([{ productId: MOUSE, quantity: 2 }]);
    const [line] = priced.items;
    expect(priced.total?.amountMinor).toBe((line?.unitPrice.amountMinor ?? 0) * 2);
    expect(placed.status).toBe(202);
    expect(placed.headers.get('location')).toMatch(new RegExp(`/orders/${orderId}$`));
    expect(placed.body).toMatchObject({
      status: 'PENDING',
      lines: [{ productId: MOUSE, quantity: 2 }],
      total: priced.total,
    });
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(placed.text);
    expect(confirmed.body).toMatchObject({ orderId, status: 'CONFIRMED' });
    expect(((await getCart(alice)).body as CartBody).items).toEqual([]);
    const orders = await http(runtime.apiUrl, '/orders', { headers: alice.headers });
    expect((orders.body as { items: { orderId: string }[] }).items.map((item) => item.orderId)).toEqual([
      orderId,
    ]);
  });

  it('keeps a cart to its owner: another customer neither sees, empties nor checks it out', async () => {
    // Prepare
    const owner = await customer(runtime, 'cart-owner');
    const other = await customer(runtime, 'cart-other');
    await setItem(owner, MOUSE, { quantity: 3 });
    const before = await holdingsOf(owner);

    // Act
    const seen = await getCart(other);
    const cleared = await clearCart(other);
    const checkedOut = await checkout(other, 'cart-other-1');

    // Assess
    expect((seen.body as CartBody).items).toEqual([]);
    expect(cleared.status).toBe(204);
    expect([checkedOut.status, codeOf(checkedOut.body)]).toEqual([422, 'CART_EMPTY']);
    expect(await holdingsOf(owner)).toEqual(before);
    expect(await holdingsOf(other)).toEqual([]);
    expect(((await getCart(owner)).body as CartBody).items).toMatchObject([
      { productId: MOUSE, quantity: 3 },
    ]);
  });

  it('answers each bad request with a clear 4xx and writes nothing', async () => {
    // Prepare
    const erin = await customer(runtime, 'cart-erin');
    await setItem(erin, MOUSE, { quantity: 1 });
    const before = await holdingsOf(erin);

    // Act
    const answers = {
      unknownProduct: await setItem(erin, UNKNOWN, { quantity: 1 }),
      tooMany: await setItem(erin, MOUSE, { quantity: 1001 }),
      negative: await setItem(erin, MOUSE, { quantity: -1 }),
      badJson: await setItem(erin, MOUSE, '{"quantity":'),
      noKey: await checkout(erin, undefined),
      badCheckoutJson: await checkout(erin, 'cart-erin-1', '{"payment":'),
      linesInBody: await checkout(erin, 'cart-erin-2', {
        ...PAYMENT,
        items: [{ productId: MOUSE, quantity: 9 }],
      }),
      suspended: await suspendedCheckout(erin),
    };
    const afterRefusals = await holdingsOf(erin);
    await clearCart(erin);
    const emptyCheckout = await checkout(erin, 'cart-erin-3');

    // Assess
    expect(
      Object.fromEntries(
        Object.entries(answers).map(([name, answer]) => [name, [answer.status, codeOf(answer.body)]]),
      ),
    ).toEqual({
      unknownProduct: [404, 'PRODUCT_NOT_FOUND'],
      tooMany: [400, 'VALIDATION_FAILED'],
      negative: [400, 'VALIDATION_FAILED'],
      badJson: [400, 'MALFORMED_JSON'],
      noKey: [400, 'MISSING_PARAMETER'],
      badCheckoutJson: [400, 'MALFORMED_JSON'],
      linesInBody: [400, 'VALIDATION_FAILED'],
      suspended: [403, 'CUSTOMER_SUSPENDED'],
    });
    expect(afterRefusals).toEqual(before);
    expect([emptyCheckout.status, codeOf(emptyCheckout.body)]).toEqual([422, 'CART_EMPTY']);
    expect(await holdingsOf(erin)).toEqual([]);
  });
});
