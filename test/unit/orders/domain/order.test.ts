import { describe, expect, it } from 'vitest';
import {
  allowedSources,
  canTransition,
  InvalidTransitionError,
  initialHistory,
  isSagaFinished,
  isTerminal,
  ORDER_STATUSES,
  type OrderStatus,
  transition,
} from '#functions/orders/domain/order';

const NOW = new Date('2025-03-01T12:00:00.000Z');

/** The state machine of docs and code comments, written out independently of the implementation. */
const ALLOWED: readonly (readonly [OrderStatus, OrderStatus])[] = [
  ['PENDING', 'STOCK_RESERVED'],
  ['PENDING', 'CANCELLED'],
  ['STOCK_RESERVED', 'PAYMENT_PENDING'],
  ['STOCK_RESERVED', 'CONFIRMED'],
  ['STOCK_RESERVED', 'CANCELLED'],
  ['PAYMENT_PENDING', 'CONFIRMED'],
  ['PAYMENT_PENDING', 'CANCELLED'],
  ['CONFIRMED', 'SHIPPED'],
  ['CONFIRMED', 'CANCELLED'],
  ['SHIPPED', 'DELIVERED'],
];

const isAllowed = (from: OrderStatus, to: OrderStatus) =>
  ALLOWED.some(([allowedFrom, allowedTo]) => allowedFrom === from && allowedTo === to);

function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

const FORBIDDEN = ORDER_STATUSES.flatMap((from) =>
  ORDER_STATUSES.filter((to) => !isAllowed(from, to)).map((to) => [from, to] as const),
);

describe('Function: transition', () => {
  it.each(ALLOWED)('Given an order %s, When it moves to %s, Then the move is recorded', (from, to) => {
    // Act
    const entry = transition(from, to, 'saga step', NOW);

    // Assess
    expect(canTransition(from, to)).toBe(true);
    expect(entry).toEqual({ status: to, at: '2025-03-01T12:00:00.000Z', reason: 'saga step' });
  });

  it('covers every pair of statuses as allowed or forbidden', () => {
    // Assess
    expect(ALLOWED.length + FORBIDDEN.length).toBe(ORDER_STATUSES.length ** 2);
    expect(FORBIDDEN).toHaveLength(39);
  });

  it.each(FORBIDDEN)('Given an order %s, When it moves to %s, Then the move is rejected', (from, to) => {
    // Act & Assess
    expect(canTransition(from, to)).toBe(false);
    expect(() => transition(from, to, 'saga step', NOW)).toThrow(InvalidTransitionError);
  });

  it.each([
    ['SHIPPED', 'CANCELLED'],
    ['DELIVERED', 'CANCELLED'],
    ['DELIVERED', 'SHIPPED'],
    ['CONFIRMED', 'DELIVERED'],
    ['CANCELLED', 'SHIPPED'],
    ['CONFIRMED', 'PENDING'],
    ['CANCELLED', 'CONFIRMED'],
    ['CANCELLED', 'STOCK_RESERVED'],
    ['PENDING', 'CONFIRMED'],
    ['PENDING', 'PAYMENT_PENDING'],
    ['STOCK_RESERVED', 'STOCK_RESERVED'],
    ['PAYMENT_PENDING', 'STOCK_RESERVED'],
  ] as const)('rejects %s → %s with an error naming both statuses', (from, to) => {
    // Act
    const error = thrownBy(() => transition(from, to, 'saga step', NOW));

    // Assess
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({
      name: 'InvalidTransitionError',
      message: `Order cannot move from ${from} to ${to}`,
      from,
      to,
    });
  });

  it('Given a duplicate StockReserved event, When the order is already STOCK_RESERVED, Then nothing is applied', () => {
    // Prepare
    const first = transition(
      'PENDING',
      'STOCK_RESERVED',
      'Stock reserved',
      NOW,
      '01JN8S7QG07VXVQKXB80JART8R',
    );

    // Act & Assess
    expect(first.status).toBe('STOCK_RESERVED');
    expect(() =>
      transition(first.status, 'STOCK_RESERVED', 'Stock reserved', NOW, '01JN8S7QG07VXVQKXB80JART8R'),
    ).toThrow(InvalidTransitionError);
  });

  it('records the causing event id in the history entry when one is given', () => {
    // Act
    const entry = transition(
      'STOCK_RESERVED',
      'CANCELLED',
      'Payment failed',
      NOW,
      '01JN8S7QZM0000000000000001',
    );

    // Assess
    expect(entry).toEqual({
      status: 'CANCELLED',
      at: '2025-03-01T12:00:00.000Z',
      reason: 'Payment failed',
      eventId: '01JN8S7QZM0000000000000001',
    });
  });

  it('leaves eventId out of the history entry when there is no causing event', () => {
    // Act
    const entry = transition('PENDING', 'CANCELLED', 'Customer request', NOW);

    // Assess
    expect(entry).not.toHaveProperty('eventId');
  });
});

describe('Function: allowedSources', () => {
  it('allows cancellation until the order ships: from PENDING, STOCK_RESERVED, PAYMENT_PENDING and CONFIRMED only', () => {
    // Act & Assess
    expect(allowedSources('CANCELLED')).toEqual([
      'PENDING',
      'STOCK_RESERVED',
      'PAYMENT_PENDING',
      'CONFIRMED',
    ]);
  });

  it.each([
    ['PENDING', []],
    ['STOCK_RESERVED', ['PENDING']],
    ['PAYMENT_PENDING', ['STOCK_RESERVED']],
    ['CONFIRMED', ['STOCK_RESERVED', 'PAYMENT_PENDING']],
    ['SHIPPED', ['CONFIRMED']],
    ['DELIVERED', ['SHIPPED']],
  ] as const)('lists the sources of a move to %s', (to, sources) => {
    // Act & Assess
    expect(allowedSources(to)).toEqual(sources);
  });
});

describe('Function: isTerminal', () => {
  it.each([
    ['PENDING', false],
    ['STOCK_RESERVED', false],
    ['PAYMENT_PENDING', false],
    ['CONFIRMED', false],
    ['SHIPPED', false],
    ['DELIVERED', true],
    ['CANCELLED', true],
  ] as const)('reports %s as terminal: %s', (status, terminal) => {
    // Act & Assess
    expect(isTerminal(status)).toBe(terminal);
  });
});

describe('Function: isSagaFinished', () => {
  it.each([
    ['PENDING', false],
    ['STOCK_RESERVED', false],
    ['PAYMENT_PENDING', false],
    ['CONFIRMED', true],
    ['SHIPPED', true],
    ['DELIVERED', true],
    ['CANCELLED', true],
  ] as const)('reports whether the saga is done with a %s order: %s', (status, finished) => {
    // Act & Assess
    expect(isSagaFinished(status)).toBe(finished);
  });
});

describe('Function: initialHistory', () => {
  it('Given a new order, Then its history starts with PENDING at the creation time', () => {
    // Act
    const history = initialHistory(NOW);

    // Assess
    expect(history).toEqual([{ status: 'PENDING', at: '2025-03-01T12:00:00.000Z', reason: 'Order placed' }]);
  });
});
