import { describe, expect, it } from 'vitest';
import { orderRequests, seededRandom } from '#chaos/load';
import { stockOf } from '#chaos/snapshot';

describe('Function: orderRequests', () => {
  it('spreads the orders over the customers, each with its own key and products in stock', () => {
    // Prepare
    const stock = new Map([
      ['mouse', 10],
      ['sold-out', 0],
    ]);

    // Act
    const requests = orderRequests(5, 'chaos-run-baseline', ['alice', 'bob'], stock, seededRandom(7));

    // Assess
    expect(requests.map((request) => request.customer)).toEqual(['alice', 'bob', 'alice', 'bob', 'alice']);
    expect(requests.map((request) => request.idempotencyKey)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `chaos-run-baseline-${i}`),
    );
    for (const request of requests) {
      expect(request.items.map((item) => item.productId)).toEqual(['mouse']);
      expect('customerId' in request).toBe(false);
    }
  });

  it('places nothing without stock or without customers', () => {
    // Act
    const noStock = orderRequests(3, 'k', ['alice'], new Map([['mouse', 0]]), seededRandom(1));
    const noCustomers = orderRequests(3, 'k', [], new Map([['mouse', 5]]), seededRandom(1));

    // Assess
    expect(noStock).toEqual([]);
    expect(noCustomers).toEqual([]);
  });
});

describe('Function: stockOf', () => {
  it('reads stock from the inventory table’s stock items only', () => {
    // Prepare
    const items = [
      { pk: 'STOCK#mouse', sk: 'STOCK', entity: 'STOCK', productId: 'mouse', stock: 7 },
      { pk: 'STOCK#stand', sk: 'STOCK', entity: 'STOCK', stock: 0 },
      { pk: 'RESERVATION#o-1', sk: 'RESERVATION', entity: 'RESERVATION', orderId: 'o-1' },
      { pk: 'OUTBOX#o-1', sk: 'e1', entity: 'OUTBOX' },
    ];

    // Act
    const stock = stockOf(items);

    // Assess
    expect(stock).toEqual(
      new Map([
        ['mouse', 7],
        ['stand', 0],
      ]),
    );
  });
});
