import { describe, expect, it } from 'vitest';
import { InvalidTransitionError, type OrderStatus } from '#functions/orders/domain/order';
import {
  decide,
  evolve,
  type OrderState,
  type SagaEvent,
  SagaInvariantError,
  type Transition,
} from '#functions/orders/domain/saga';
import { PermanentError } from '#platform/errors';
import { sample } from '#test/unit/events/helpers';

const NOW = new Date('2025-03-01T12:05:00.000Z');
const PLACED_AT = '2025-03-01T12:00:00.000Z';
const ORDER_ID = '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c43';

function givenOrder(status: OrderStatus, overrides: Partial<OrderState> = {}): OrderState {
  return {
    orderId: ORDER_ID,
    status,
    version: 3,
    total: { amountMinor: 9997, currency: 'EUR' },
    lines: [
      { productId: '11111111-1111-1111-1111-111111111111', quantity: 2 },
      { productId: '33333333-3333-3333-3333-333333333333', quantity: 1 },
    ],
    ...(status === 'PENDING' ? {} : { reservationId: 'res-1' }),
    history: [{ status: 'PENDING', at: PLACED_AT, reason: 'Order placed' }],
    updatedAt: PLACED_AT,
    ...overrides,
  };
}

/** The decision, which the test expects to be a transition. */
function transitionOf(state: OrderState, event: SagaEvent, now = NOW): Transition {
  const decision = decide(state, event, now);
  if (decision.kind !== 'TRANSITION') throw new Error(`Expected a TRANSITION, got ${decision.kind}`);
  return decision;
}

const stockReserved = () => sample('StockReserved');
const stockRejected = () => sample('StockRejected');
const paymentPending = (
  reason: 'PSP_PENDING' | 'PSP_TIMEOUT' | 'PSP_UNAVAILABLE' = 'PSP_PENDING',
): SagaEvent => {
  const event = sample('PaymentPending');
  return { ...event, payload: { ...event.payload, reason } };
};
const paymentSucceeded = () => sample('PaymentSucceeded');
function paymentFailed(reason: 'DECLINED' | 'DEADLINE_EXCEEDED' = 'DECLINED') {
  const event = sample('PaymentFailed');
  return { ...event, payload: { ...event.payload, reason } };
}

describe('Function: decide', () => {
  it('reserves the order when stock is reserved for a pending order', () => {
    // Prepare
    const order = givenOrder('PENDING');

    // Act
    const decision = decide(order, stockReserved(), NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'TRANSITION',
      to: 'STOCK_RESERVED',
      reason: `Stock reserved (${stockReserved().payload.reservationId})`,
      set: { reservationId: stockReserved().payload.reservationId },
      emit: [],
    });
  });

  it('cancels the order when stock is rejected, explaining each short line', () => {
    // Prepare
    const order = givenOrder('PENDING');

    // Act
    const decision = decide(order, stockRejected(), NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'TRANSITION',
      to: 'CANCELLED',
      reason: 'Stock rejected: INSUFFICIENT_STOCK',
      set: {},
      emit: [
        {
          type: 'OrderCancelled',
          payload: {
            orderId: ORDER_ID,
            reason: 'STOCK_REJECTED',
            detail: '22222222-2222-2222-2222-222222222222: 60 requested, 50 available',
            cancelledAt: NOW.toISOString(),
          },
        },
      ],
    });
  });

  it('keeps the detail of a stock rejection within 1024 characters', () => {
    // Prepare
    const order = givenOrder('PENDING');
    const event = stockRejected();
    const lines = Array.from({ length: 40 }, (_, index) => ({
      productId: `${String(index).padStart(8, '0')}-2222-2222-2222-222222222222`,
      requested: 60,
      available: 50,
    }));

    // Act
    const decision = transitionOf(order, { ...event, payload: { ...event.payload, lines } });

    // Assess
    const cancelled = decision.emit[0];
    expect(cancelled?.type).toBe('OrderCancelled');
    expect(cancelled?.type === 'OrderCancelled' && cancelled.payload.detail?.length).toBe(1024);
  });

  it.each(['STOCK_RESERVED', 'PAYMENT_PENDING'] as const)(
    'confirms a %s order when the payment succeeds',
    (status) => {
      // Prepare
      const order = givenOrder(status);

      // Act
      const decision = decide(order, paymentSucceeded(), NOW);

      // Assess
      expect(decision).toEqual({
        kind: 'TRANSITION',
        to: 'CONFIRMED',
        reason: `Payment succeeded (${paymentSucceeded().payload.paymentId})`,
        set: { paymentId: paymentSucceeded().payload.paymentId },
        emit: [
          {
            type: 'OrderConfirmed',
            payload: {
              orderId: ORDER_ID,
              paymentId: paymentSucceeded().payload.paymentId,
              total: order.total,
              confirmedAt: NOW.toISOString(),
            },
          },
        ],
      });
    },
  );

  it('moves a reserved order to PAYMENT_PENDING when the payment awaits status checks', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');
    const pending = sample('PaymentPending');

    // Act
    const decision = decide(order, pending, NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'TRANSITION',
      to: 'PAYMENT_PENDING',
      reason: `Payment pending at the PSP; status checks until ${pending.payload.deadline}`,
      set: { paymentId: pending.payload.paymentId },
      emit: [],
    });
  });

  it.each([
    ['PSP_TIMEOUT', 'Payment PSP timed out; status checks until 2025-03-01T12:20:00.910Z'],
    ['PSP_UNAVAILABLE', 'Payment PSP unavailable; status checks until 2025-03-01T12:20:00.910Z'],
  ] as const)('explains a payment pending because of %s', (reason, explanation) => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');

    // Act
    const decision = transitionOf(order, paymentPending(reason));

    // Assess
    expect(decision.reason).toBe(explanation);
  });

  it.each(['PAYMENT_PENDING', 'CONFIRMED', 'CANCELLED'] as const)(
    'ignores PaymentPending for an order already %s',
    (status) => {
      // Prepare
      const order = givenOrder(status);

      // Act
      const decision = decide(order, paymentPending(), NOW);

      // Assess
      expect(decision).toEqual({
        kind: 'IGNORE',
        reason: `PaymentPending does not apply to an order in ${status}`,
      });
    },
  );

  it('is not ready for PaymentPending before the reservation is recorded', () => {
    // Prepare
    const order = givenOrder('PENDING');

    // Act
    const decision = decide(order, paymentPending(), NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'NOT_READY',
      reason: 'PaymentPending arrived while the order is PENDING; its stock reservation is not recorded yet',
    });
  });

  it('releases the stock and cancels the order when the payment fails', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED', { reservationId: 'res-42' });
    const failed = paymentFailed('DECLINED');

    // Act
    const decision = decide(order, failed, NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'TRANSITION',
      to: 'CANCELLED',
      reason: 'Payment failed: DECLINED',
      set: { paymentId: failed.payload.paymentId },
      emit: [
        {
          type: 'StockReleaseRequested',
          payload: {
            orderId: ORDER_ID,
            reservationId: 'res-42',
            lines: order.lines,
            reason: 'Payment failed: DECLINED',
          },
        },
        {
          type: 'OrderCancelled',
          payload: {
            orderId: ORDER_ID,
            reason: 'PAYMENT_FAILED',
            detail: 'Card declined by issuer',
            cancelledAt: NOW.toISOString(),
          },
        },
      ],
    });
  });

  it('cancels with PAYMENT_DEADLINE_EXCEEDED when the payment missed its deadline', () => {
    // Prepare
    const order = givenOrder('PAYMENT_PENDING');

    // Act
    const decision = transitionOf(order, paymentFailed('DEADLINE_EXCEEDED'));

    // Assess
    expect(decision.reason).toBe('Payment deadline exceeded');
    expect(decision.emit[0]?.payload).toMatchObject({ reason: 'Payment deadline exceeded' });
    expect(decision.emit[1]?.payload).toMatchObject({ reason: 'PAYMENT_DEADLINE_EXCEEDED' });
  });

  it('leaves the detail out of OrderCancelled when the failed payment has none', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');
    const failed = sample('PaymentFailed');
    const { detail: _, ...payload } = failed.payload;

    // Act
    const decision = transitionOf(order, { ...failed, payload });

    // Assess
    expect(decision.emit[1]?.payload).not.toHaveProperty('detail');
  });

  it.each([
    ['PaymentSucceeded', paymentSucceeded],
    ['PaymentFailed', () => paymentFailed()],
  ] as const)('asks for a retry when %s arrives before the stock reservation', (name, event) => {
    // Prepare
    const order = givenOrder('PENDING');

    // Act
    const decision = decide(order, event(), NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'NOT_READY',
      reason: `${name} arrived while the order is PENDING; its stock reservation is not recorded yet`,
    });
  });

  it.each([
    ['StockReserved', 'CONFIRMED', stockReserved],
    ['StockReserved', 'STOCK_RESERVED', stockReserved],
    ['StockReserved', 'CANCELLED', stockReserved],
    ['StockRejected', 'CANCELLED', stockRejected],
    ['StockRejected', 'STOCK_RESERVED', stockRejected],
    ['PaymentSucceeded', 'CONFIRMED', paymentSucceeded],
    ['PaymentSucceeded', 'CANCELLED', paymentSucceeded],
    ['PaymentFailed', 'CANCELLED', () => paymentFailed()],
    ['PaymentFailed', 'CONFIRMED', () => paymentFailed()],
  ] as const)('ignores %s for an order already %s', (name, status, event) => {
    // Prepare
    const order = givenOrder(status);

    // Act
    const decision = decide(order, event(), NOW);

    // Assess
    expect(decision).toEqual({ kind: 'IGNORE', reason: `${name} does not apply to an order in ${status}` });
  });

  it('refuses to compensate a reserved order without a reservation id', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED', { reservationId: undefined });

    // Act
    const act = () => decide(order, paymentFailed(), NOW);

    // Assess
    expect(act).toThrow(SagaInvariantError);
    expect(act).toThrow(`Order ${ORDER_ID} is STOCK_RESERVED but has no reservation id`);
  });

  it('raises a broken invariant as a permanent error, so the event is not retried', () => {
    // Prepare
    const order = givenOrder('PAYMENT_PENDING', { reservationId: undefined });

    // Act
    let error: unknown;
    try {
      decide(order, paymentFailed(), NOW);
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'SAGA_INVARIANT_BROKEN', retryable: false });
  });

  it('does not change the state it decides on', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');
    const before = structuredClone(order);

    // Act
    decide(order, paymentFailed(), NOW);

    // Assess
    expect(order).toEqual(before);
  });
});

describe('Function: evolve', () => {
  it('moves the order to the new status, one version up, with a history entry for the event', () => {
    // Prepare
    const order = givenOrder('PENDING');
    const event = stockReserved();
    const change = transitionOf(order, event);

    // Act
    const next = evolve(order, change, event.eventId, NOW);

    // Assess
    expect(next).toEqual({
      ...order,
      status: 'STOCK_RESERVED',
      version: 4,
      reservationId: event.payload.reservationId,
      updatedAt: NOW.toISOString(),
      history: [
        { status: 'PENDING', at: PLACED_AT, reason: 'Order placed' },
        {
          status: 'STOCK_RESERVED',
          at: NOW.toISOString(),
          reason: `Stock reserved (${event.payload.reservationId})`,
          eventId: event.eventId,
        },
      ],
    });
  });

  it('sets the payment id and keeps the reservation id', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED', { reservationId: 'res-9' });
    const event = paymentSucceeded();

    // Act
    const next = evolve(order, transitionOf(order, event), event.eventId, NOW);

    // Assess
    expect(next).toMatchObject({
      status: 'CONFIRMED',
      reservationId: 'res-9',
      paymentId: event.payload.paymentId,
      version: 4,
    });
  });

  it('does not change the state it starts from', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');
    const before = structuredClone(order);
    const event = paymentFailed();

    // Act
    evolve(order, transitionOf(order, event), event.eventId, NOW);

    // Assess
    expect(order).toEqual(before);
  });

  it.each([
    ['CONFIRMED', 'CANCELLED'],
    ['CANCELLED', 'STOCK_RESERVED'],
    ['PENDING', 'CONFIRMED'],
    ['PAYMENT_PENDING', 'STOCK_RESERVED'],
  ] as const)('refuses to move an order from %s to %s', (from, to) => {
    // Prepare
    const order = givenOrder(from);
    const change: Transition = { kind: 'TRANSITION', to, reason: 'forced', set: {}, emit: [] };

    // Act
    const act = () => evolve(order, change, 'evt-1', NOW);

    // Assess
    expect(act).toThrow(InvalidTransitionError);
    expect(act).toThrow(`Order cannot move from ${from} to ${to}`);
  });

  it('follows a whole saga: reserved, pending at the PSP, then confirmed', () => {
    // Prepare
    const placed = givenOrder('PENDING', { version: 1 });
    const steps: SagaEvent[] = [stockReserved(), paymentPending(), paymentSucceeded()];

    // Act
    const confirmed = steps.reduce(
      (state, event) => evolve(state, transitionOf(state, event), event.eventId, NOW),
      placed,
    );

    // Assess
    expect(confirmed.status).toBe('CONFIRMED');
    expect(confirmed.version).toBe(4);
    expect(confirmed.history.map((entry) => [entry.status, entry.eventId])).toEqual([
      ['PENDING', undefined],
      ['STOCK_RESERVED', steps[0]?.eventId],
      ['PAYMENT_PENDING', steps[1]?.eventId],
      ['CONFIRMED', steps[2]?.eventId],
    ]);
    expect(decide(confirmed, paymentSucceeded(), NOW).kind).toBe('IGNORE');
  });
});
