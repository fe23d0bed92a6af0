import { describe, expect, it } from 'vitest';
import {
  consumerLag,
  countByStatus,
  latencySummary,
  latestOrders,
  orderViewOf,
  percentile,
  sagaDurationMs,
} from '#localstack/runtime/ops/stats';

/** An order item of the orders table, as the order service writes it. */
function orderItem(orderId: string, status: string, history: { status: string; at: string }[]) {
  return {
    pk: `ORDER#${orderId}`,
    sk: 'ORDER',
    entity: 'ORDER',
    orderId,
    customerId: 'c0ffee00-0000-4000-8000-000000000001',
    status,
    lines: [{ productId: '11111111-1111-1111-1111-111111111111', quantity: 2 }],
    total: { amountMinor: 5998, currency: 'EUR' },
    payment: { method: 'card', token: 'tok_ok' },
    createdAt: history[0]?.at ?? '',
    updatedAt: history.at(-1)?.at ?? '',
    history: history.map((entry) => ({ ...entry, reason: `${entry.status} reason` })),
  };
}

describe('Function: percentile', () => {
  it('returns the nearest-rank value: the smallest with at least p % of the values at or below it', () => {
    // Prepare
    const values = [15, 20, 35, 40, 50];

    // Act
    const result = [0, 5, 30, 40, 50, 95, 100].map((p) => percentile(values, p));

    // Assess
    expect(result).toEqual([15, 15, 20, 20, 35, 50, 50]);
  });

  it('does not depend on the order of the values', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);

    // Act
    const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(values, p));

    // Assess
    expect([p50, p95, p99]).toEqual([50, 95, 99]);
  });

  it('returns null when there are no values, and refuses a percentile outside 0 to 100', () => {
    // Prepare
    const empty: number[] = [];

    // Act
    const result = percentile(empty, 50);

    // Assess
    expect(result).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('Function: latencySummary', () => {
  it('returns the count with p50, p95 and p99', () => {
    // Prepare
    const durations = Array.from({ length: 200 }, (_, index) => (index + 1) * 10);

    // Act
    const summary = latencySummary(durations);

    // Assess
    expect(summary).toEqual({ count: 200, p50: 1000, p95: 1900, p99: 1980 });
  });
});

describe('Function: sagaDurationMs', () => {
  it('measures from the POST to the first terminal status', () => {
    // Prepare
    const history = [
      { status: 'PENDING', at: '2026-12-02T08:00:00.000Z', reason: '' },
      { status: 'STOCK_RESERVED', at: '2026-12-02T08:00:00.400Z', reason: '' },
      { status: 'CONFIRMED', at: '2026-12-02T08:00:01.250Z', reason: '' },
    ];

    // Act
    const ms = sagaDurationMs('2026-12-02T08:00:00.000Z', history);

    // Assess
    expect(ms).toBe(1250);
  });

  it('returns null while the order has no terminal status, or when a timestamp does not parse', () => {
    // Prepare
    const running = [{ status: 'PAYMENT_PENDING', at: '2026-12-02T08:00:01.000Z', reason: '' }];
    const cancelled = [{ status: 'CANCELLED', at: 'later', reason: '' }];

    // Act
    const results = [
      sagaDurationMs('2026-12-02T08:00:00.000Z', running),
      sagaDurationMs('2026-12-02T08:00:00.000Z', cancelled),
    ];

    // Assess
    expect(results).toEqual([null, null]);
  });
});

describe('Function: orderViewOf', () => {
  it('keeps the saga progress of an order item and drops the customer and payment data', () => {
    // Prepare
    const item = orderItem('01KBF0000000000000000000A1', 'CANCELLED', [
      { status: 'PENDING', at: '2026-12-02T08:00:00.000Z' },
      { status: 'CANCELLED', at: '2026-12-02T08:00:02.000Z' },
    ]);

    // Act
    const view = orderViewOf(item);

    // Assess
    expect(view).toEqual({
      orderId: '01KBF0000000000000000000A1',
      status: 'CANCELLED',
      createdAt: '2026-12-02T08:00:00.000Z',
      updatedAt: '2026-12-02T08:00:02.000Z',
      total: { amountMinor: 5998, currency: 'EUR' },
      lines: 1,
      history: [
        { status: 'PENDING', at: '2026-12-02T08:00:00.000Z', reason: 'PENDING reason' },
        { status: 'CANCELLED', at: '2026-12-02T08:00:02.000Z', reason: 'CANCELLED reason' },
      ],
      sagaMs: 2000,
    });
    expect(JSON.stringify(view)).not.toMatch(/tok_|customerId|c0ffee00|payment/);
  });

  it('returns null for items that are not orders (idempotency records, outbox rows)', () => {
    // Prepare
    const items = [
      { pk: 'IDEMPOTENCY#c#k1', sk: 'IDEMPOTENCY', entity: 'IDEMPOTENCY', orderId: 'x' },
      { pk: 'OUTBOX#x', sk: '01KBF', entity: 'OUTBOX' },
    ];

    // Act
    const views = items.map((item) => orderViewOf(item));

    // Assess
    expect(views).toEqual([null, null]);
  });
});

describe('Function: countByStatus', () => {
  it('counts orders by status, with every known status present', () => {
    // Prepare
    const orders = [{ status: 'CONFIRMED' }, { status: 'CONFIRMED' }, { status: 'PENDING' }];

    // Act
    const counts = countByStatus(orders, ['PENDING', 'CONFIRMED', 'CANCELLED']);

    // Assess
    expect(counts).toEqual({ PENDING: 1, CONFIRMED: 2, CANCELLED: 0 });
  });
});

describe('Function: latestOrders', () => {
  it('returns the newest orders first, at most the limit', () => {
    // Prepare
    const orders = [
      { orderId: 'A', createdAt: '2026-12-02T08:00:01.000Z' },
      { orderId: 'C', createdAt: '2026-12-02T08:00:03.000Z' },
      { orderId: 'B', createdAt: '2026-12-02T08:00:02.000Z' },
    ];

    // Act
    const latest = latestOrders(orders, 2);

    // Assess
    expect(latest.map((order) => order.orderId)).toEqual(['C', 'B']);
  });
});

describe('Function: consumerLag', () => {
  it('sums the records after each partition’s committed offset', () => {
    // Prepare
    const partitions = [
      { partition: 0, end: 10, committed: 10 },
      { partition: 1, end: 7, committed: 4 },
    ];

    // Act
    const lag = consumerLag(partitions);

    // Assess
    expect(lag).toBe(3);
  });

  it('counts a partition the group never committed from its start, as TRIM_HORIZON reads it', () => {
    // Prepare
    const partitions = [{ partition: 0, end: 12, committed: -1 }];

    // Act
    const lag = [consumerLag(partitions), consumerLag(partitions, 5)];

    // Assess
    expect(lag).toEqual([12, 7]);
  });
});
