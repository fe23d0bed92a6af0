import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { admin, customer, type Session } from '../helpers/auth';
import { documentClient, http, postOrder, scanAll, startRuntime, tableName } from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';
const KEYBOARD = '22222222-2222-2222-2222-222222222222';
const HUB = '33333333-3333-3333-3333-333333333333';
const MONITOR = '44444444-4444-4444-4444-444444444444';
const STAND = '55555555-5555-5555-5555-555555555555';

interface OrderView {
  orderId: string;
  status: string;
  history: { status: string; reason: string; at: string }[];
  lines: { productId: string; quantity: number }[];
}

const TERMINAL = ['CONFIRMED', 'CANCELLED'];

describe('End to end: the order saga over HTTP against the local runtime', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let keySeq = 0;
  let shopper: Session;
  let operator: Session;

  beforeAll(async () => {
    // Step Functions waits run 50x faster; the PSP's slow paths stay real.
    // Lambda scales out; give each function enough local execution environments for the bursts below.
    runtime = await startRuntime({ timeScale: 50, functionConcurrency: 8 });
    db = documentClient(runtime);
    shopper = await customer(runtime, 'saga-shopper');
    operator = await admin(runtime);
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const stock = async () => {
    const { items } = (await http(runtime.apiUrl, '/products')).body as {
      items: { productId: string; stock: number }[];
    };
    return Object.fromEntries(items.map((item) => [item.productId, item.stock]));
  };

  const place = async (token: string, items: { productId: string; quantity: number }[]) => {
    const response = await postOrder(
      runtime.apiUrl,
      { items, payment: { method: 'card', token } },
      `saga-${Date.now()}-${keySeq++}`,
      shopper.headers,
    );
    expect(response.status).toBe(202);
    return (response.body as OrderView).orderId;
  };

  const settle = (orderId: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const order = (await http(runtime.apiUrl, `/orders/${orderId}`, { headers: shopper.headers }))
          .body as OrderView;
        return TERMINAL.includes(order.status) ? order : undefined;
      },
      { timeoutMs, intervalMs: 200, description: `order ${orderId} reaches a terminal state` },
    );

  it('takes every mock PSP token to its terminal state and returns stock for every cancellation', async () => {
    // Prepare
    const before = await stock();
    const cases: {
      token: string;
      items: { productId: string; quantity: number }[];
      expected: 'CONFIRMED' | 'CANCELLED';
    }[] = [
      {
        token: 'tok_ok',
        items: [
          { productId: MOUSE, quantity: 2 },
          { productId: HUB, quantity: 1 },
        ],
        expected: 'CONFIRMED',
      },
      { token: 'tok_decline', items: [{ productId: KEYBOARD, quantity: 1 }], expected: 'CANCELLED' },
      {
        token: 'tok_insufficient_funds',
        items: [{ productId: KEYBOARD, quantity: 2 }],
        expected: 'CANCELLED',
      },
      { token: 'tok_pending', items: [{ productId: MOUSE, quantity: 1 }], expected: 'CONFIRMED' },
      { token: 'tok_pending_fail', items: [{ productId: HUB, quantity: 3 }], expected: 'CANCELLED' },
      { token: 'tok_flaky', items: [{ productId: STAND, quantity: 1 }], expected: 'CONFIRMED' },
      { token: 'tok_timeout', items: [{ productId: STAND, quantity: 2 }], expected: 'CONFIRMED' },
      { token: 'tok_slow', items: [{ productId: MOUSE, quantity: 1 }], expected: 'CONFIRMED' },
    ];

    // Act
    const orderIds = await Promise.all(cases.map((c) => place(c.token, c.items)));
    const orders = await Promise.all(orderIds.map((id) => settle(id, 120_000)));

    // Assess
    orders.forEach((order, i) => {
      const expected = cases[i]?.expected;
      expect({ token: cases[i]?.token, status: order.status }).toEqual({
        token: cases[i]?.token,
        status: expected,
      });
      expect(order.history[0]?.status).toBe('PENDING');
      expect(order.history.map((entry) => entry.status)).toContain('STOCK_RESERVED');
      expect(order.history.every((entry) => entry.reason.length > 0 && entry.at.length > 0)).toBe(true);
      if (['tok_pending', 'tok_pending_fail', 'tok_timeout'].includes(cases[i]?.token ?? '')) {
        expect(order.history.map((entry) => entry.status)).toContain('PAYMENT_PENDING');
      }
    });
    const sold: Record<string, number> = {};
    orders.forEach((order, i) => {
      if (order.status !== 'CONFIRMED') return;
      for (const item of cases[i]?.items ?? [])
        sold[item.productId] = (sold[item.productId] ?? 0) + item.quantity;
    });
    const after = await waitFor(
      async () => {
        const now = await stock();
        return Object.keys(before).every((id) => now[id] === (before[id] ?? 0) - (sold[id] ?? 0))
          ? now
          : undefined;
      },
      { timeoutMs: 30_000, description: 'stock of cancelled orders released' },
    );
    expect(after[KEYBOARD]).toBe(before[KEYBOARD]);
  });

  it('cancels an order for more than the stock with StockRejected and reserves nothing', async () => {
    // Prepare
    const before = await stock();

    // Act
    const order = await settle(
      await place('tok_ok', [
        { productId: MONITOR, quantity: 999 },
        { productId: MOUSE, quantity: 1 },
      ]),
    );

    // Assess
    expect(order.status).toBe('CANCELLED');
    expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', 'CANCELLED']);
    const after = await stock();
    expect(after[MONITOR]).toBe(before[MONITOR]);
    expect(after[MOUSE]).toBe(before[MOUSE]);
  });

  it('records a notification for confirmed and cancelled orders and counts orders by status', async () => {
    // Prepare
    const confirmed = await settle(await place('tok_ok', [{ productId: STAND, quantity: 1 }]));
    const cancelled = await settle(await place('tok_decline', [{ productId: STAND, quantity: 1 }]));

    // Act
    const notifications = await waitFor(
      async () => {
        const items = await scanAll(db, tableName(runtime, 'notification'));
        const mine = items.filter(
          (item) => item.orderId === confirmed.orderId || item.orderId === cancelled.orderId,
        );
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 30_000, description: 'notifications recorded' },
    );
    const metrics = await waitFor(
      async () => {
        const response = await http(runtime.apiUrl, '/admin/metrics', { headers: operator.headers });
        const byStatus = (response.body as { byStatus?: Record<string, number> }).byStatus ?? {};
        return (byStatus.CONFIRMED ?? 0) >= 1 && (byStatus.CANCELLED ?? 0) >= 1 ? response : undefined;
      },
      { timeoutMs: 30_000, description: 'metrics count confirmed and cancelled orders' },
    );

    // Assess
    expect(confirmed.status).toBe('CONFIRMED');
    expect(cancelled.status).toBe('CANCELLED');
    expect(notifications.length).toBeGreaterThanOrEqual(2);
    expect(metrics.status).toBe(200);
  });

  it('sells exactly the stock to 100 concurrent orders for a product with 30 units', async () => {
    // Prepare
    const before = await stock();
    expect(before[MONITOR]).toBe(30);

    // Act
    const orderIds = await Promise.all(
      Array.from({ length: 100 }, () => place('tok_ok', [{ productId: MONITOR, quantity: 1 }])),
    );
    const orders = await Promise.all(orderIds.map((id) => settle(id, 180_000)));

    // Assess
    expect(orders.filter((order) => order.status === 'CONFIRMED')).toHaveLength(30);
    expect(orders.filter((order) => order.status === 'CANCELLED')).toHaveLength(70);
    const after = await stock();
    expect(after[MONITOR]).toBe(0);
  });

  it('brings every order to a terminal state when all Kafka brokers are down for several seconds mid-run', async () => {
    // Act
    const first = await Promise.all(
      Array.from({ length: 10 }, () => place('tok_ok', [{ productId: STAND, quantity: 1 }])),
    );
    await runtime.kafka.allBrokersDown();
    const second = await Promise.all(
      Array.from({ length: 10 }, () => place('tok_ok', [{ productId: STAND, quantity: 1 }])),
    );
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await runtime.kafka.allBrokersUp();
    const orders = await Promise.all([...first, ...second].map((id) => settle(id, 180_000)));

    // Assess
    expect(orders.every((order) => order.status === 'CONFIRMED')).toBe(true);
  });

  it('completes a stuck order when its dead letters are redriven to the saga after the outage is fixed', async () => {
    // Prepare: the saga consumer cannot reach its table (an error retrying cannot fix: dead-lettered).
    const saga = runtime.fn('SagaConsumerFunction');
    const table = saga.definition.environment.ORDERS_TABLE_NAME as string;
    await saga.reconfigure({ ORDERS_TABLE_NAME: 'unavailable-table' });
    const orderId = await place('tok_ok', [{ productId: STAND, quantity: 1 }]);
    const letters = await waitFor(
      async () => {
        const response = await http(runtime.apiUrl, '/admin/dead-letters?status=OPEN', {
          headers: operator.headers,
        });
        const items = (
          (response.body as { items?: { id: string; eventType?: string; key?: string; service: string }[] })
            .items ?? []
        ).filter((item) => item.key === orderId);
        return items.length >= 2 ? items : undefined;
      },
      { timeoutMs: 60_000, description: 'StockReserved and PaymentSucceeded dead-lettered by the saga' },
    );
    expect(
      (await http(runtime.apiUrl, `/orders/${orderId}`, { headers: shopper.headers })).body,
    ).toMatchObject({
      status: 'PENDING',
    });
    expect(letters.every((letter) => letter.service === 'orders')).toBe(true);

    // Act: fix the table, redrive in any order, and let the saga's sweep retry them.
    await saga.reconfigure({ ORDERS_TABLE_NAME: table });
    for (const letter of [...letters].reverse()) {
      expect(
        (
          await http(runtime.apiUrl, `/admin/dead-letters/${letter.id}/redrive`, {
            method: 'POST',
            headers: operator.headers,
          })
        ).status,
      ).toBe(202);
    }
    const swept = await runtime.triggerSchedule('SagaConsumerFunction');
    const redriven = await http(runtime.apiUrl, '/admin/dead-letters?status=REDRIVEN', {
      headers: operator.headers,
    });

    // Assess
    expect(swept.ok).toBe(true);
    // Who redrove them and when is on each dead letter; the views show no payment token.
    const mine = (
      (redriven.body as { items: { key: string; redrivenBy: string; redrivenAt: string }[] }).items ?? []
    ).filter((item) => item.key === orderId);
    expect(mine).toHaveLength(letters.length);
    for (const item of mine) {
      expect(item.redrivenBy).toBe(`${operator.email} (${operator.sub})`);
      expect(Date.parse(item.redrivenAt)).not.toBeNaN();
    }
    expect(redriven.text).not.toMatch(/tok_[A-Za-z0-9_]+/);
    const order = await settle(orderId);
    expect(order.status).toBe('CONFIRMED');
    const notRedrivable = await http(runtime.apiUrl, `/admin/dead-letters/${letters[0]?.id}/redrive`, {
      method: 'POST',
      headers: operator.headers,
    });
    expect(notRedrivable.status).toBe(409);
  });
});
