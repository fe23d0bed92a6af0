/**
 * The storefront part of `npm run demo`: what one customer does, step by step, over the public API:
 * a profile, a cart, a checkout that becomes an order (and a replay of it), the order followed through
 * its statuses, a second order cancelled before it ships (its stock back), the customer's order list,
 * and an admin restocking a product that the catalog shows at once.
 */
import { carrierReport, postCarrierWebhook } from '../scripts/carrier';
import { HUB, KEYBOARD, MOUSE, seconds } from './drive';

/** A demo step failed: the API did not answer as a customer would expect. */
export class StorefrontError extends Error {}

export interface JourneyOptions {
  apiUrl: string;
  customerToken: string;
  /** An admin's ID token, for the restock step (skipped without one). */
  adminToken?: string | undefined;
  /**
   * The carrier of a local runtime (its shipping API and webhook secret): the demo plays its pickup
   * and delivery of the first order. Without one, that order is followed to CONFIRMED.
   */
  carrier?: { apiUrl: string; secret: string } | undefined;
  timeoutMs: number;
  /** A prefix that makes this run's Idempotency-Keys unique. */
  runId: string;
}

interface Answer {
  status: number;
  body: unknown;
}

interface OrderBody {
  orderId: string;
  status: string;
  history: { status: string; at: string; reason?: string }[];
}

async function call(
  apiUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers = {},
) {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) } as Answer;
}

function expectStatus(step: string, answer: Answer, ...expected: number[]): void {
  if (!expected.includes(answer.status)) {
    throw new StorefrontError(`${step}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

const money = (value: { amountMinor: number; currency: string }) =>
  `${(value.amountMinor / 100).toFixed(2)} ${value.currency}`;

/** Polls an order until its status is one of `statuses`; prints each new status as it is seen. */
async function follow(
  options: JourneyOptions,
  orderId: string,
  statuses: readonly string[],
): Promise<OrderBody> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let seen = '';
  for (;;) {
    const answer = await call(options.apiUrl, options.customerToken, 'GET', `/orders/${orderId}`);
    expectStatus(`GET /orders/${orderId}`, answer, 200);
    const order = answer.body as OrderBody;
    if (order.status !== seen) {
      seen = order.status;
      console.log(`      ${seconds(Date.now() - started).padStart(8)}  ${order.status}`);
    }
    if (statuses.includes(order.status)) return order;
    if (Date.now() > deadline) {
      throw new StorefrontError(`order ${orderId} is ${order.status} after ${seconds(options.timeoutMs)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stockOf(apiUrl: string, productId: string): Promise<number> {
  return (await productOf(apiUrl, productId)).stock;
}

async function productOf(apiUrl: string, productId: string): Promise<{ name: string; stock: number }> {
  const response = await fetch(`${apiUrl}/products/${productId}`);
  if (!response.ok) throw new StorefrontError(`GET /products/${productId}: HTTP ${response.status}`);
  return (await response.json()) as { name: string; stock: number };
}

/** Runs the journey and prints each step; throws `StorefrontError` at the first unexpected answer. */
export async function storefrontJourney(options: JourneyOptions): Promise<void> {
  const { apiUrl, customerToken: token } = options;
  const step = (text: string) => console.log(`  ${text}`);

  const profile = await call(apiUrl, token, 'PUT', '/me', {
    name: 'Alice Example',
    email: 'alice@example.com',
    phone: '+15555550123',
    notifications: { email: true, sms: true },
  });
  expectStatus('PUT /me', profile, 200);
  step('PUT /me: notify Alice Example by email and SMS');

  expectStatus('DELETE /cart', await call(apiUrl, token, 'DELETE', '/cart'), 204);
  for (const [productId, quantity] of [
    [MOUSE, 2],
    [HUB, 1],
    [MOUSE, 1],
  ] as const) {
    const put = await call(apiUrl, token, 'PUT', `/cart/items/${productId}`, { quantity });
    expectStatus(`PUT /cart/items/${productId}`, put, 200);
  }
  const cart = await call(apiUrl, token, 'GET', '/cart');
  expectStatus('GET /cart', cart, 200);
  const view = cart.body as {
    items: { name: string; quantity: number }[];
    total: { amountMinor: number; currency: string };
  };
  step(
    `cart: ${view.items.map((line) => `${line.quantity} × ${line.name}`).join(', ')} = ${money(view.total)}`,
  );

  const key = `${options.runId}-checkout`;
  const checkoutBody = { payment: { method: 'card', token: 'tok_ok' } };
  const checkout = await call(apiUrl, token, 'POST', '/cart/checkout', checkoutBody, {
    'idempotency-key': key,
  });
  expectStatus('POST /cart/checkout', checkout, 202);
  const { orderId } = checkout.body as { orderId: string };
  const replay = await call(apiUrl, token, 'POST', '/cart/checkout', checkoutBody, {
    'idempotency-key': key,
  });
  expectStatus('POST /cart/checkout (replay)', replay, 200, 202);
  if ((replay.body as { orderId?: string }).orderId !== orderId) {
    throw new StorefrontError('the replayed checkout answered another order');
  }
  step(`POST /cart/checkout → order ${orderId} (the same key again answers the same order)`);
  const emptied = await call(apiUrl, token, 'GET', '/cart');
  step(`cart after checkout: ${(emptied.body as { items: unknown[] }).items.length} lines`);
  await follow(options, orderId, ['CONFIRMED']);
  if (options.carrier) {
    const { apiUrl: carrierApi, secret } = options.carrier;
    for (const [report, status] of [
      ['PICKED_UP', 'SHIPPED'],
      ['DELIVERED', 'DELIVERED'],
    ] as const) {
      // The shipping service books the parcel when OrderConfirmed reaches it: until then, 404.
      const deadline = Date.now() + options.timeoutMs;
      let answer = await postCarrierWebhook(carrierApi, carrierReport({ orderId, status: report }), secret);
      while (answer.status === 404 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        answer = await postCarrierWebhook(carrierApi, carrierReport({ orderId, status: report }), secret);
      }
      expectStatus(`POST /carrier/webhooks (${report})`, answer, 200);
      step(`the carrier reports ${report} (a signed POST /carrier/webhooks)`);
      await follow(options, orderId, [status]);
    }
  }

  // A second order, cancelled while its payment is still pending at the PSP.
  const keyboardBefore = await stockOf(apiUrl, KEYBOARD);
  expectStatus(
    'PUT /cart/items (keyboard)',
    await call(apiUrl, token, 'PUT', `/cart/items/${KEYBOARD}`, { quantity: 1 }),
    200,
  );
  const second = await call(
    apiUrl,
    token,
    'POST',
    '/cart/checkout',
    { payment: { method: 'card', token: 'tok_pending' } },
    { 'idempotency-key': `${options.runId}-cancelled` },
  );
  expectStatus('POST /cart/checkout (second)', second, 202);
  const secondId = (second.body as { orderId: string }).orderId;
  step(`second order ${secondId} (tok_pending: the PSP answers later), then POST /orders/${secondId}/cancel`);
  await follow(options, secondId, ['STOCK_RESERVED', 'PAYMENT_PENDING']);
  const cancel = await call(apiUrl, token, 'POST', `/orders/${secondId}/cancel`, {});
  expectStatus('POST /orders/{id}/cancel', cancel, 200, 202);
  await follow(options, secondId, ['CANCELLED']);
  // The inventory service releases the reservation when the saga's StockReleaseRequested reaches it.
  const cancelledAt = Date.now();
  let keyboardAfter = await stockOf(apiUrl, KEYBOARD);
  while (keyboardAfter !== keyboardBefore && Date.now() - cancelledAt < options.timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    keyboardAfter = await stockOf(apiUrl, KEYBOARD);
  }
  if (keyboardAfter !== keyboardBefore) {
    throw new StorefrontError(
      `keyboard stock ${keyboardAfter} after the cancellation, ${keyboardBefore} before`,
    );
  }
  step(`keyboard stock back to ${keyboardAfter} ${seconds(Date.now() - cancelledAt)} after the cancellation`);

  const list = await call(apiUrl, token, 'GET', '/orders?limit=5');
  expectStatus('GET /orders', list, 200);
  const latest = (list.body as { items: { orderId: string; status: string }[] }).items;
  step(`GET /orders: ${latest.map((order) => `${order.orderId.slice(-6)} ${order.status}`).join(', ')}`);

  if (options.adminToken) {
    const before = await productOf(apiUrl, HUB);
    const restock = await call(apiUrl, options.adminToken, 'PUT', `/admin/products/${HUB}/stock`, {
      add: 10,
      reason: 'demo delivery from the supplier',
    });
    expectStatus('PUT /admin/products/{id}/stock', restock, 200);
    const after = await stockOf(apiUrl, HUB);
    step(`admin restock: ${before.name} ${before.stock} → ${after} in GET /products/{id} at once`);
  }
}
