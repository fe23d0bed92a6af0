import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '#events';
import { aggregate, byStatus, counterOf } from '#functions/analytics/domain/counters';
import { latestSample, sample } from '../events/helpers';

/** The counters an order leaves over its life, summed as GET /admin/metrics sums a window. */
const totalsOf = (...lives: Record<string, number>[]): Record<string, number> => {
  const totals: Record<string, number> = {};
  for (const life of lives) {
    for (const [name, count] of Object.entries(life)) totals[name] = (totals[name] ?? 0) + count;
  }
  return totals;
};

const PLACED = { ORDERS_CREATED: 1 };
const CONFIRMED = { ...PLACED, ORDERS_CONFIRMED: 1 };
const CANCELLED_BEFORE_CONFIRMATION = { ...PLACED, ORDERS_CANCELLED: 1 };
const CANCELLED_AFTER_CONFIRMATION = {
  ...CONFIRMED,
  ORDERS_CANCELLED: 1,
  ORDERS_CANCELLED_AFTER_CONFIRMATION: 1,
};
const SHIPPED = { ...CONFIRMED, ORDERS_SHIPPED: 1 };
const DELIVERED = { ...SHIPPED, ORDERS_DELIVERED: 1 };

/** An OrderCancelled of the latest version, cancelled from `from`. */
const cancelledFrom = (from: string, eventId: string): DomainEvent => {
  const event = latestSample('OrderCancelled');
  return { ...event, eventId, payload: { ...event.payload, cancelledFrom: from } } as DomainEvent;
};

describe('Function: byStatus', () => {
  it('Given an order confirmed and then cancelled by the customer, When counted, Then it is CANCELLED only', () => {
    // Prepare
    const totals = totalsOf(CANCELLED_AFTER_CONFIRMATION);

    // Act
    const statuses = byStatus(totals);

    // Assess
    expect(statuses).toEqual({
      PLACED: 1,
      CONFIRMED: 0,
      SHIPPED: 0,
      DELIVERED: 0,
      CANCELLED: 1,
      IN_PROGRESS: 0,
    });
  });

  it('Given an order cancelled before confirmation, When counted, Then it is CANCELLED and not in progress', () => {
    // Act
    const statuses = byStatus(totalsOf(CANCELLED_BEFORE_CONFIRMATION));

    // Assess
    expect(statuses).toMatchObject({ PLACED: 1, CONFIRMED: 0, CANCELLED: 1, IN_PROGRESS: 0 });
  });

  it('Given a shipped order and a delivered one, When counted, Then each is in its own status only', () => {
    // Act
    const statuses = byStatus(totalsOf(SHIPPED, DELIVERED));

    // Assess
    expect(statuses).toEqual({
      PLACED: 2,
      CONFIRMED: 0,
      SHIPPED: 1,
      DELIVERED: 1,
      CANCELLED: 0,
      IN_PROGRESS: 0,
    });
  });

  it('Given orders in every status, When counted, Then the statuses add up to the orders placed', () => {
    // Prepare
    const totals = totalsOf(
      PLACED,
      PLACED,
      CONFIRMED,
      CANCELLED_BEFORE_CONFIRMATION,
      CANCELLED_AFTER_CONFIRMATION,
      SHIPPED,
      DELIVERED,
      DELIVERED,
    );

    // Act
    const statuses = byStatus(totals);

    // Assess
    expect(statuses).toEqual({
      PLACED: 8,
      CONFIRMED: 1,
      SHIPPED: 1,
      DELIVERED: 2,
      CANCELLED: 2,
      IN_PROGRESS: 2,
    });
    const { PLACED: placed, ...current } = statuses;
    expect(Object.values(current).reduce((sum, count) => sum + count, 0)).toBe(placed);
  });

  it('Given no counters, When counted, Then every status is 0', () => {
    // Act
    const statuses = byStatus({});

    // Assess
    expect(statuses).toEqual({
      PLACED: 0,
      CONFIRMED: 0,
      SHIPPED: 0,
      DELIVERED: 0,
      CANCELLED: 0,
      IN_PROGRESS: 0,
    });
  });

  it('Given a window that holds later steps of orders placed before it, When counted, Then no status is negative', () => {
    // Prepare
    const totals = { ORDERS_SHIPPED: 1, ORDERS_DELIVERED: 2, ORDERS_CANCELLED_AFTER_CONFIRMATION: 1 };

    // Act
    const statuses = byStatus(totals);

    // Assess
    expect(Math.min(...Object.values(statuses))).toBe(0);
  });
});

describe('Function: aggregate', () => {
  it('Given OrderShipped and OrderDelivered, When aggregated, Then they count ORDERS_SHIPPED and ORDERS_DELIVERED', () => {
    // Prepare
    const events = [sample('OrderShipped'), sample('OrderDelivered')] as DomainEvent[];

    // Act
    const counters = [...aggregate(events).values()].map(({ key, count }) => [key.counter, count]);

    // Assess
    expect(counters).toEqual([
      ['ORDERS_SHIPPED', 1],
      ['ORDERS_DELIVERED', 1],
    ]);
    expect([counterOf('OrderShipped'), counterOf('OrderDelivered')]).toEqual([
      'ORDERS_SHIPPED',
      'ORDERS_DELIVERED',
    ]);
  });

  it('Given a cancellation from CONFIRMED and one from PENDING, When aggregated, Then both count as cancelled and one as cancelled after confirmation', () => {
    // Prepare
    const events = [
      cancelledFrom('CONFIRMED', '01JN8S7QWWHQQKNETG34RC0001'),
      cancelledFrom('PENDING', '01JN8S7QWWHQQKNETG34RC0002'),
    ];

    // Act
    const counters = [...aggregate(events).values()].map(({ key, count }) => [key.counter, count]);

    // Assess
    expect(counters).toEqual([
      ['ORDERS_CANCELLED', 2],
      ['ORDERS_CANCELLED_AFTER_CONFIRMATION', 1],
    ]);
  });

  it('Given a cancellation of a version that does not say what it was cancelled from, When aggregated, Then it counts as cancelled only', () => {
    // Prepare
    const events = [sample('OrderCancelled')] as DomainEvent[];

    // Act
    const counters = [...aggregate(events).values()].map(({ key, count }) => [key.counter, count]);

    // Assess
    expect(counters).toEqual([['ORDERS_CANCELLED', 1]]);
  });
});
