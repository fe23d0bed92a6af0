import { describe, expect, it } from 'vitest';
import type { DomainEventOf } from '#events';
import { InvalidTransitionError, type OrderStatus } from '#functions/orders/domain/order';
import {
  CANCEL_REASON_MAX_LENGTH,
  type Change,
  decide,
  decideCommand,
  decideTimeout,
  type Emitted,
  evolve,
  type OrderState,
  type SagaEvent,
  SagaInvariantError,
} from '#functions/orders/domain/saga';
import { PermanentError } from '#platform/errors';
import { latestSample, sample } from '#test/unit/events/helpers';

const NOW = new Date('2025-03-01T12:05:00.000Z');
const PLACED_AT = '2025-03-01T12:00:00.000Z';
const ORDER_ID = '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c43';
const RESERVATION_ID = 'res-1';
const RECIPIENT = {
  customerId: 'customer-1',
  name: 'Alice',
  email: 'alice@example.com',
  notifications: { email: true, sms: false },
};

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
    ...(status === 'PENDING' ? {} : { reservationId: RESERVATION_ID }),
    history: [{ status: 'PENDING', at: PLACED_AT, reason: 'Order placed' }],
    updatedAt: PLACED_AT,
    recipient: RECIPIENT,
    ...overrides,
  };
}

/** The decision, which the test expects to be a change. */
function changeOf(decision: ReturnType<typeof decide> | ReturnType<typeof decideCommand>): Change {
  if (decision.kind !== 'CHANGE') throw new Error(`Expected a CHANGE, got ${decision.kind}`);
  return decision;
}

const types = (emitted: readonly Emitted[]) => emitted.map((event) => event.type);

const stockReserved = (reservationId = RESERVATION_ID): DomainEventOf<'StockReserved'> => {
  const event = sample('StockReserved');
  return { ...event, payload: { ...event.payload, reservationId } };
};
const stockRejected = () => sample('StockRejected');
/** Version-2 payment events name their reservation. */
const paymentPending = (
  reason: 'PSP_PENDING' | 'PSP_TIMEOUT' | 'PSP_UNAVAILABLE' = 'PSP_PENDING',
): DomainEventOf<'PaymentPending'> => {
  const event = latestSample('PaymentPending');
  return { ...event, payload: { ...event.payload, reservationId: RESERVATION_ID, reason } };
};
const paymentSucceeded = (): DomainEventOf<'PaymentSucceeded'> => {
  const event = latestSample('PaymentSucceeded');
  return { ...event, payload: { ...event.payload, reservationId: RESERVATION_ID } };
};
const paymentFailed = (
  reason: 'DECLINED' | 'DEADLINE_EXCEEDED' = 'DECLINED',
): DomainEventOf<'PaymentFailed'> => {
  const event = latestSample('PaymentFailed');
  return { ...event, payload: { ...event.payload, reservationId: RESERVATION_ID, reason } };
};

/** Applies events in order, as the saga consumer does, and collects what it emits. */
function fold(events: readonly SagaEvent[], start = givenOrder('PENDING')) {
  let state = start;
  const emitted: Emitted[] = [];
  const notReady: string[] = [];
  for (const event of events) {
    const decision = decide(state, event, NOW);
    if (decision.kind === 'NOT_READY') notReady.push(event.eventType);
    if (decision.kind !== 'CHANGE') continue;
    state = evolve(state, decision, event.eventId, NOW);
    emitted.push(...decision.emit);
  }
  return { state, emitted, notReady };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('Function: decide', () => {
  it('Given a PENDING order, when StockReserved arrives, then the order is STOCK_RESERVED with the reservation', () => {
    // Prepare
    const order = givenOrder('PENDING');

    // Act
    const decision = decide(order, stockReserved(), NOW);

    // Assess
    expect(decision).toEqual({
      kind: 'CHANGE',
      moves: [{ to: 'STOCK_RESERVED', reason: `Stock reserved (${RESERVATION_ID})` }],
      set: { reservationId: RESERVATION_ID },
      emit: [],
    });
  });

  it('Given a PENDING order, when StockRejected arrives, then it is CANCELLED with each short line explained', () => {
    // Prepare
    const order = givenOrder('PENDING');
    const event = stockRejected();

    // Act
    const change = changeOf(decide(order, event, NOW));

    // Assess
    expect(change.moves).toEqual([{ to: 'CANCELLED', reason: `Stock rejected: ${event.payload.reason}` }]);
    expect(change.emit).toEqual([
      {
        type: 'OrderCancelled',
        payload: {
          orderId: ORDER_ID,
          reason: 'STOCK_REJECTED',
          detail: event.payload.lines
            .map((line) => `${line.productId}: ${line.requested} requested, ${line.available} available`)
            .join('; '),
          cancelledAt: NOW.toISOString(),
          recipient: RECIPIENT,
          cancelledFrom: 'PENDING',
        },
      },
    ]);
  });

  it('Given a very long rejection, when it is explained, then the detail stays within 1024 characters', () => {
    // Prepare
    const event = stockRejected();
    const line = event.payload.lines[0];
    if (!line) throw new Error('the sample has a short line');
    const long = { ...event, payload: { ...event.payload, lines: Array.from({ length: 60 }, () => line) } };

    // Act
    const change = changeOf(decide(givenOrder('PENDING'), long, NOW));

    // Assess
    const cancelled = change.emit[0];
    expect(cancelled?.type === 'OrderCancelled' && cancelled.payload.detail?.length).toBe(1024);
  });

  it.each([
    ['PSP_PENDING', 'pending at the PSP'],
    ['PSP_TIMEOUT', 'PSP timed out'],
    ['PSP_UNAVAILABLE', 'PSP unavailable'],
  ] as const)(
    'Given a reserved order, when PaymentPending (%s) arrives, then it is PAYMENT_PENDING',
    (reason, why) => {
      // Prepare
      const event = paymentPending(reason);

      // Act
      const change = changeOf(decide(givenOrder('STOCK_RESERVED'), event, NOW));

      // Assess
      expect(change.moves).toEqual([
        {
          to: 'PAYMENT_PENDING',
          reason: `Payment ${why}; status checks until ${event.payload.deadline}`,
        },
      ]);
      expect(change.set).toEqual({ reservationId: RESERVATION_ID, paymentId: event.payload.paymentId });
      expect(change.emit).toEqual([]);
    },
  );

  it('Given a reserved order, when PaymentSucceeded arrives, then it is CONFIRMED and OrderConfirmed is emitted', () => {
    // Prepare
    const event = paymentSucceeded();

    // Act
    const change = changeOf(decide(givenOrder('PAYMENT_PENDING'), event, NOW));

    // Assess
    expect(change.moves).toEqual([
      { to: 'CONFIRMED', reason: `Payment succeeded (${event.payload.paymentId})` },
    ]);
    expect(change.emit).toEqual([
      {
        type: 'OrderConfirmed',
        payload: {
          orderId: ORDER_ID,
          paymentId: event.payload.paymentId,
          total: { amountMinor: 9997, currency: 'EUR' },
          confirmedAt: NOW.toISOString(),
          recipient: RECIPIENT,
        },
      },
    ]);
  });

  it('Given a reserved order, when PaymentFailed arrives, then stock is released and the order CANCELLED, once', () => {
    // Prepare
    const event = paymentFailed();

    // Act
    const change = changeOf(decide(givenOrder('STOCK_RESERVED'), event, NOW));

    // Assess
    expect(change.moves).toEqual([{ to: 'CANCELLED', reason: 'Payment failed: DECLINED' }]);
    expect(change.set).toMatchObject({ releaseRequested: true });
    expect(change.emit).toEqual([
      {
        type: 'StockReleaseRequested',
        payload: {
          orderId: ORDER_ID,
          reservationId: RESERVATION_ID,
          lines: [
            { productId: '11111111-1111-1111-1111-111111111111', quantity: 2 },
            { productId: '33333333-3333-3333-3333-333333333333', quantity: 1 },
          ],
          reason: 'Payment failed: DECLINED',
        },
      },
      {
        type: 'OrderCancelled',
        payload: {
          orderId: ORDER_ID,
          reason: 'PAYMENT_FAILED',
          ...(event.eventType === 'PaymentFailed' && event.payload.detail
            ? { detail: event.payload.detail }
            : {}),
          cancelledAt: NOW.toISOString(),
          recipient: RECIPIENT,
          cancelledFrom: 'STOCK_RESERVED',
        },
      },
    ]);
  });

  it('Given a reserved order, when the payment missed its deadline, then it is cancelled with PAYMENT_DEADLINE_EXCEEDED', () => {
    // Act
    const change = changeOf(decide(givenOrder('PAYMENT_PENDING'), paymentFailed('DEADLINE_EXCEEDED'), NOW));

    // Assess
    expect(change.emit.map((e) => (e.type === 'OrderCancelled' ? e.payload.reason : e.type))).toEqual([
      'StockReleaseRequested',
      'PAYMENT_DEADLINE_EXCEEDED',
    ]);
  });

  describe('events that overtake StockReserved (topics are not ordered with each other)', () => {
    it('Given a PENDING order, when PaymentSucceeded naming its reservation arrives, then it moves through STOCK_RESERVED to CONFIRMED', () => {
      // Act
      const change = changeOf(decide(givenOrder('PENDING'), paymentSucceeded(), NOW));

      // Assess
      expect(change.moves.map((move) => move.to)).toEqual(['STOCK_RESERVED', 'CONFIRMED']);
      expect(change.moves[0]?.reason).toContain('confirmed by the payment ahead of StockReserved');
      expect(change.set).toMatchObject({ reservationId: RESERVATION_ID });
      expect(types(change.emit)).toEqual(['OrderConfirmed']);
    });

    it('Given a PENDING order, when PaymentFailed naming its reservation arrives, then the reservation is released and the order CANCELLED', () => {
      // Act
      const change = changeOf(decide(givenOrder('PENDING'), paymentFailed(), NOW));

      // Assess
      expect(change.moves.map((move) => move.to)).toEqual(['STOCK_RESERVED', 'CANCELLED']);
      expect(types(change.emit)).toEqual(['StockReleaseRequested', 'OrderCancelled']);
    });

    it('Given a PENDING order, when PaymentPending naming its reservation arrives, then it is PAYMENT_PENDING', () => {
      // Act
      const change = changeOf(decide(givenOrder('PENDING'), paymentPending(), NOW));

      // Assess
      expect(change.moves.map((move) => move.to)).toEqual(['STOCK_RESERVED', 'PAYMENT_PENDING']);
    });

    it.each(['PaymentPending', 'PaymentSucceeded', 'PaymentFailed'] as const)(
      'Given a PENDING order, when a version-1 %s (no reservation) arrives, then it is not ready yet',
      (type) => {
        // Act
        const decision = decide(givenOrder('PENDING'), sample(type) as SagaEvent, NOW);

        // Assess
        expect(decision.kind).toBe('NOT_READY');
      },
    );

    it('Given any order of arrival of a successful saga, when all events are applied, then the order is CONFIRMED once and nothing waits', () => {
      // Prepare
      const events: SagaEvent[] = [stockReserved(), paymentPending(), paymentSucceeded()];

      // Act
      const outcomes = permutations(events).map((order) => fold(order));

      // Assess
      expect(outcomes).toHaveLength(6);
      for (const { state, emitted, notReady } of outcomes) {
        expect(state.status).toBe('CONFIRMED');
        expect(state.reservationId).toBe(RESERVATION_ID);
        expect(types(emitted)).toEqual(['OrderConfirmed']);
        expect(notReady).toEqual([]);
      }
    });

    it('Given any order of arrival of a failed payment, when all events are applied, then the order is CANCELLED and stock released exactly once', () => {
      // Prepare
      const events: SagaEvent[] = [stockReserved(), paymentPending(), paymentFailed()];

      // Act
      const outcomes = permutations(events).map((order) => fold(order));

      // Assess
      for (const { state, emitted, notReady } of outcomes) {
        expect(state.status).toBe('CANCELLED');
        expect(types(emitted).sort()).toEqual(['OrderCancelled', 'StockReleaseRequested']);
        expect(notReady).toEqual([]);
      }
    });
  });

  describe('compensation of a CANCELLED order', () => {
    it('Given a cancelled order without a reservation, when StockReserved arrives late, then the stock is released once', () => {
      // Prepare
      const order = givenOrder('CANCELLED', { reservationId: undefined });

      // Act
      const first = changeOf(decide(order, stockReserved(), NOW));
      const after = evolve(order, first, 'evt-1', NOW);
      const again = decide(after, stockReserved(), NOW);

      // Assess
      expect(first.moves).toEqual([]);
      expect(first.note).toContain('released');
      expect(types(first.emit)).toEqual(['StockReleaseRequested']);
      expect(after).toMatchObject({
        status: 'CANCELLED',
        reservationId: RESERVATION_ID,
        releaseRequested: true,
      });
      expect(again.kind).toBe('IGNORE');
    });

    it('Given a cancelled order, when its payment succeeds late, then a refund is requested once', () => {
      // Prepare
      const order = givenOrder('CANCELLED', { releaseRequested: true });
      const event = paymentSucceeded();

      // Act
      const first = changeOf(decide(order, event, NOW));
      const again = decide(evolve(order, first, event.eventId, NOW), event, NOW);

      // Assess
      expect(first.emit).toEqual([
        {
          type: 'PaymentReversalRequested',
          payload: { orderId: ORDER_ID, paymentId: event.payload.paymentId, reason: 'ORDER_CANCELLED' },
        },
      ]);
      expect(first.set).toEqual({ paymentId: event.payload.paymentId, reversalRequested: true });
      expect(again.kind).toBe('IGNORE');
    });

    it('Given a cancelled order, when its payment is still pending, then its authorization is to be voided', () => {
      // Act
      const change = changeOf(decide(givenOrder('CANCELLED'), paymentPending(), NOW));

      // Assess
      expect(types(change.emit)).toEqual(['PaymentReversalRequested']);
      expect(change.note).toContain('still open');
    });

    it('Given an order cancelled because its payment failed, when a late PaymentPending of it arrives, then nothing is reversed', () => {
      // Prepare
      const order = givenOrder('CANCELLED', { paymentId: paymentPending().payload.paymentId });

      // Act
      const decision = decide(order, paymentPending(), NOW);

      // Assess
      expect(decision.kind).toBe('IGNORE');
    });

    it('Given a cancelled order, when its payment fails, then nothing more is needed', () => {
      // Act
      const decision = decide(givenOrder('CANCELLED'), paymentFailed(), NOW);

      // Assess
      expect(decision.kind).toBe('IGNORE');
    });

    it.each(['PaymentVoided', 'PaymentRefunded'] as const)(
      'Given a cancelled order, when %s arrives, then it is noted in the history without a move',
      (type) => {
        // Act
        const change = changeOf(decide(givenOrder('CANCELLED'), sample(type) as SagaEvent, NOW));

        // Assess
        expect(change.moves).toEqual([]);
        expect(change.note).toMatch(/^Payment .* (voided|refunded) \(ORDER_CANCELLED\)$/);
        expect(change.emit).toEqual([]);
      },
    );
  });

  it.each([
    ['CONFIRMED', stockReserved],
    ['CONFIRMED', paymentSucceeded],
    ['STOCK_RESERVED', stockReserved],
    ['CANCELLED', stockRejected],
    ['CONFIRMED', paymentFailed],
  ] as const)('Given a %s order, when an event it is past arrives, then nothing changes', (status, event) => {
    // Act
    const decision = decide(givenOrder(status), event(), NOW);

    // Assess
    expect(decision.kind).toBe('IGNORE');
  });

  it('Given a reserved order without a reservation id, when its payment fails, then a broken invariant is raised as a permanent error', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED', { reservationId: undefined });

    // Act
    const act = () => decide(order, paymentFailed(), NOW);

    // Assess
    expect(act).toThrow(SagaInvariantError);
    let error: unknown;
    try {
      act();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(PermanentError);
  });
});

describe('Function: decideTimeout', () => {
  it('Given an order waiting for its payment, when it times out, then it is cancelled with the stock released and the payment reversed', () => {
    // Prepare
    const order = givenOrder('PAYMENT_PENDING', { paymentId: 'pay-1' });

    // Act
    const change = changeOf(decideTimeout(order, NOW, '30 minutes'));

    // Assess
    expect(change.moves).toEqual([
      { to: 'CANCELLED', reason: 'No progress for 30 minutes; the order timed out' },
    ]);
    expect(types(change.emit)).toEqual([
      'StockReleaseRequested',
      'PaymentReversalRequested',
      'OrderCancelled',
    ]);
    expect(change.set).toEqual({ releaseRequested: true, reversalRequested: true });
    const cancelled = change.emit.at(-1);
    expect(cancelled?.type === 'OrderCancelled' && cancelled.payload.reason).toBe('TIMED_OUT');
  });

  it('Given a PENDING order without a reservation, when it times out, then it is cancelled with nothing to compensate', () => {
    // Act
    const change = changeOf(decideTimeout(givenOrder('PENDING'), NOW, '30 minutes'));

    // Assess
    expect(types(change.emit)).toEqual(['OrderCancelled']);
  });

  it.each(['CONFIRMED', 'CANCELLED'] as const)(
    'Given a %s order, when it is checked, then it is left alone',
    (status) => {
      // Act
      const decision = decideTimeout(givenOrder(status), NOW, '30 minutes');

      // Assess
      expect(decision.kind).toBe('IGNORE');
    },
  );
});

describe('Function: evolve', () => {
  it('Given a change, when it is applied, then the order moves one version up with a history entry per move', () => {
    // Prepare
    const order = givenOrder('PENDING');
    const change = changeOf(decide(order, paymentSucceeded(), NOW));

    // Act
    const after = evolve(order, change, 'evt-9', NOW);

    // Assess
    expect(after).toMatchObject({ status: 'CONFIRMED', version: 4, updatedAt: NOW.toISOString() });
    expect(after.history.slice(1)).toEqual([
      expect.objectContaining({ status: 'STOCK_RESERVED', at: NOW.toISOString(), eventId: 'evt-9' }),
      expect.objectContaining({ status: 'CONFIRMED', at: NOW.toISOString(), eventId: 'evt-9' }),
    ]);
  });

  it('Given a note without a move, when it is applied, then the status stays and the note is in the history', () => {
    // Prepare
    const order = givenOrder('CANCELLED');
    const change: Change = { kind: 'CHANGE', moves: [], note: 'Payment refunded', set: {}, emit: [] };

    // Act
    const after = evolve(order, change, 'evt-2', NOW);

    // Assess
    expect(after.status).toBe('CANCELLED');
    expect(after.version).toBe(4);
    expect(after.history.at(-1)).toEqual({
      status: 'CANCELLED',
      at: NOW.toISOString(),
      reason: 'Payment refunded',
      eventId: 'evt-2',
    });
  });

  it('Given a move the state machine forbids, when it is applied, then it throws InvalidTransitionError', () => {
    // Prepare
    const change: Change = { kind: 'CHANGE', moves: [{ to: 'PENDING', reason: 'back' }], set: {}, emit: [] };

    // Act
    const act = () => evolve(givenOrder('CONFIRMED'), change, 'evt-3', NOW);

    // Assess
    expect(act).toThrow(InvalidTransitionError);
  });

  it('Given a state, when a change is applied, then the state it started from is unchanged', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');
    const before = structuredClone(order);

    // Act
    evolve(order, changeOf(decide(order, paymentFailed(), NOW)), 'evt-4', NOW);

    // Assess
    expect(order).toEqual(before);
  });
});

describe('Function: decideCommand', () => {
  const cancel = (reason?: string) => ({ type: 'CancelRequested' as const, reason });
  const emittedOf = <T extends Emitted['type']>(emit: readonly Emitted[], type: T) =>
    emit.filter((event): event is Extract<Emitted, { type: T }> => event.type === type);

  it('Given a PENDING order, when its customer cancels it, then it is CANCELLED and only OrderCancelled is emitted (a reservation still in flight is released when it arrives)', () => {
    // Prepare
    const order = givenOrder('PENDING');

    // Act
    const change = changeOf(decideCommand(order, cancel('ordered the wrong size'), NOW));

    // Assess
    expect(change.moves).toEqual([
      { to: 'CANCELLED', reason: 'Cancelled by the customer: ordered the wrong size' },
    ]);
    expect(change.set).toEqual({});
    expect(change.emit).toEqual([
      {
        type: 'OrderCancelled',
        payload: {
          orderId: ORDER_ID,
          reason: 'CUSTOMER_REQUEST',
          detail: 'ordered the wrong size',
          cancelledAt: NOW.toISOString(),
          recipient: RECIPIENT,
          cancelledFrom: 'PENDING',
        },
      },
    ]);
  });

  it('Given a STOCK_RESERVED order, when its customer cancels it without a reason, then the reservation is released once and the cancellation announced', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');

    // Act
    const change = changeOf(decideCommand(order, cancel(), NOW));

    // Assess
    expect(change.moves).toEqual([{ to: 'CANCELLED', reason: 'Cancelled by the customer' }]);
    expect(change.set).toEqual({ releaseRequested: true });
    expect(types(change.emit)).toEqual(['StockReleaseRequested', 'OrderCancelled']);
    expect(emittedOf(change.emit, 'StockReleaseRequested')[0]?.payload).toEqual({
      orderId: ORDER_ID,
      reservationId: RESERVATION_ID,
      lines: order.lines,
      reason: 'Cancelled by the customer',
    });
    expect(emittedOf(change.emit, 'OrderCancelled')[0]?.payload).not.toHaveProperty('detail');
  });

  it('Given a PAYMENT_PENDING order, when its customer cancels it, then the stock is released and the payment reversed as on a timeout, with the reason CUSTOMER_REQUEST', () => {
    // Prepare
    const order = givenOrder('PAYMENT_PENDING', { paymentId: 'pay-1' });

    // Act
    const change = changeOf(decideCommand(order, cancel(), NOW));
    const timedOut = changeOf(decideTimeout(order, NOW, '30 minutes'));

    // Assess
    expect(types(change.emit)).toEqual(types(timedOut.emit));
    expect(change.set).toEqual(timedOut.set);
    expect(emittedOf(change.emit, 'PaymentReversalRequested')[0]?.payload).toEqual({
      orderId: ORDER_ID,
      paymentId: 'pay-1',
      reason: 'ORDER_CANCELLED',
    });
    expect(emittedOf(change.emit, 'OrderCancelled')[0]?.payload.reason).toBe('CUSTOMER_REQUEST');
  });

  it('Given a CANCELLED order, when its customer cancels it again, then nothing changes', () => {
    // Prepare
    const order = givenOrder('CANCELLED', { releaseRequested: true });

    // Act
    const decision = decideCommand(order, cancel('again'), NOW);

    // Assess
    expect(decision).toEqual({ kind: 'ALREADY_CANCELLED' });
  });

  it('Given a CONFIRMED order, when its customer cancels it, then it is CANCELLED, its stock released and its payment reversed, once', () => {
    // Prepare
    const order = givenOrder('CONFIRMED', { paymentId: 'pay-1' });

    // Act
    const decision = changeOf(decideCommand(order, cancel(), NOW));
    const after = evolve(order, decision, undefined, NOW);
    const again = decideCommand(after, cancel(), NOW);

    // Assess
    expect(decision.moves).toEqual([{ to: 'CANCELLED', reason: 'Cancelled by the customer' }]);
    expect(types(decision.emit)).toEqual([
      'StockReleaseRequested',
      'PaymentReversalRequested',
      'OrderCancelled',
    ]);
    expect(decision.emit[1]).toEqual({
      type: 'PaymentReversalRequested',
      payload: { orderId: ORDER_ID, paymentId: 'pay-1', reason: 'ORDER_CANCELLED' },
    });
    expect(decision.emit[2]?.payload).toMatchObject({
      reason: 'CUSTOMER_REQUEST',
      cancelledFrom: 'CONFIRMED',
    });
    expect(decision.set).toEqual({ releaseRequested: true, reversalRequested: true });
    expect(again).toEqual({ kind: 'ALREADY_CANCELLED' });
  });

  it.each(['SHIPPED', 'DELIVERED'] as const)(
    'Given a %s order, when its customer cancels it, then the command is rejected with the status',
    (status) => {
      // Prepare
      const order = givenOrder(status, { paymentId: 'pay-1' });

      // Act
      const decision = decideCommand(order, cancel(), NOW);

      // Assess
      expect(decision).toEqual({ kind: 'REJECTED', code: 'ORDER_NOT_CANCELLABLE', status });
    },
  );

  it('Given an order its customer cancelled while PENDING, when its reservation and payment arrive late (each twice), then the stock is released once and the payment refunded once', () => {
    // Prepare
    const cancelled = evolve(
      givenOrder('PENDING'),
      changeOf(decideCommand(givenOrder('PENDING'), cancel(), NOW)),
      undefined,
      NOW,
    );
    const late = [stockReserved(), paymentSucceeded(), stockReserved(), paymentSucceeded()];

    // Act
    const { state, emitted } = fold(late, cancelled);

    // Assess
    expect(state.status).toBe('CANCELLED');
    expect(types(emitted)).toEqual(['StockReleaseRequested', 'PaymentReversalRequested']);
    expect(state).toMatchObject({ releaseRequested: true, reversalRequested: true });
  });

  it('Given an order its customer cancelled while STOCK_RESERVED, when its payment goes pending and then succeeds, then exactly one reversal is requested', () => {
    // Prepare
    const order = givenOrder('STOCK_RESERVED');
    const cancelled = evolve(order, changeOf(decideCommand(order, cancel(), NOW)), undefined, NOW);

    // Act
    const { emitted } = fold([paymentPending(), paymentSucceeded(), paymentSucceeded()], cancelled);

    // Assess
    expect(types(emitted)).toEqual(['PaymentReversalRequested']);
  });

  it('Given the longest reason a customer may give, when the cancellation is decided, then the release reason stays within its schema', () => {
    // Prepare
    const reason = 'x'.repeat(CANCEL_REASON_MAX_LENGTH);

    // Act
    const change = changeOf(decideCommand(givenOrder('STOCK_RESERVED'), cancel(reason), NOW));

    // Assess
    const release = emittedOf(change.emit, 'StockReleaseRequested')[0];
    expect(release?.payload.reason.length).toBeLessThanOrEqual(256);
  });

  it('Given an unknown command, when it is decided, then it is a permanent error', () => {
    // Prepare
    const command = { type: 'ShipRequested' } as unknown as Parameters<typeof decideCommand>[1];

    // Act
    const act = () => decideCommand(givenOrder('PENDING'), command, NOW);

    // Assess
    expect(act).toThrow(SagaInvariantError);
  });
});

const orderShipped = (eventId = '01JN8V2F0D9A7K3M5P8R1T4W6Y'): DomainEventOf<'OrderShipped'> => {
  const event = sample('OrderShipped');
  return { ...event, eventId, aggregateId: ORDER_ID, payload: { ...event.payload, orderId: ORDER_ID } };
};
const orderDelivered = (eventId = '01JNAB3C5E7G9J1K3M5P7R9T1V'): DomainEventOf<'OrderDelivered'> => {
  const event = sample('OrderDelivered');
  return { ...event, eventId, aggregateId: ORDER_ID, payload: { ...event.payload, orderId: ORDER_ID } };
};

describe('Function: decide (shipping)', () => {
  it('Given a CONFIRMED order, when OrderShipped arrives, then it is SHIPPED with the carrier and tracking number in its history', () => {
    // Prepare
    const order = givenOrder('CONFIRMED', { paymentId: 'pay-1' });

    // Act
    const decision = changeOf(decide(order, orderShipped(), NOW));

    // Assess
    expect(decision).toEqual({
      kind: 'CHANGE',
      moves: [{ to: 'SHIPPED', reason: 'Shipped with mock-carrier (MC1Z4F7K2Q9D0X)' }],
      set: {},
      emit: [],
    });
  });

  it('Given a SHIPPED order, when OrderDelivered arrives, then it is DELIVERED', () => {
    // Prepare
    const order = givenOrder('SHIPPED', { paymentId: 'pay-1' });

    // Act
    const decision = changeOf(decide(order, orderDelivered(), NOW));

    // Assess
    expect(decision.moves).toEqual([{ to: 'DELIVERED', reason: 'Delivered by mock-carrier' }]);
    expect(decision.emit).toEqual([]);
  });

  it.each(permutations(['OrderShipped', 'OrderDelivered'] as const))(
    'Given a CONFIRMED order, when %s then %s arrive (each twice), then it ends DELIVERED through SHIPPED with one entry each',
    (first, second) => {
      // Prepare
      const events = { OrderShipped: orderShipped(), OrderDelivered: orderDelivered() };
      const order = givenOrder('CONFIRMED', { paymentId: 'pay-1' });

      // Act
      const { state, emitted } = fold([events[first], events[second], events[first], events[second]], order);

      // Assess
      expect(state.status).toBe('DELIVERED');
      expect(state.history.map((entry) => entry.status)).toEqual(['PENDING', 'SHIPPED', 'DELIVERED']);
      expect(emitted).toEqual([]);
    },
  );

  it.each(['PENDING', 'STOCK_RESERVED', 'PAYMENT_PENDING'] as const)(
    'Given a %s order, when a shipping event arrives, then it is not ready (retried, never applied)',
    (status) => {
      // Prepare
      const order = givenOrder(status);

      // Act
      const shipped = decide(order, orderShipped(), NOW);
      const delivered = decide(order, orderDelivered(), NOW);

      // Assess
      expect(shipped.kind).toBe('NOT_READY');
      expect(delivered.kind).toBe('NOT_READY');
    },
  );

  it('Given a DELIVERED order, when OrderShipped or OrderDelivered arrives again, then nothing changes', () => {
    // Prepare
    const order = givenOrder('DELIVERED', { paymentId: 'pay-1' });

    // Act
    const decisions = [decide(order, orderShipped(), NOW), decide(order, orderDelivered(), NOW)];

    // Assess
    expect(decisions.map((decision) => decision.kind)).toEqual(['IGNORE', 'IGNORE']);
  });

  it('Given an order cancelled while CONFIRMED, when the parcel is reported picked up (twice), then the order stays CANCELLED with one note for the operator', () => {
    // Prepare
    const confirmed = givenOrder('CONFIRMED', { paymentId: 'pay-1' });
    const command = { type: 'CancelRequested' as const };
    const cancelled = evolve(confirmed, changeOf(decideCommand(confirmed, command, NOW)), undefined, NOW);

    // Act
    const { state, emitted } = fold([orderShipped(), orderShipped(), orderDelivered()], cancelled);

    // Assess
    expect(state.status).toBe('CANCELLED');
    expect(emitted).toEqual([]);
    const notes = state.history.filter((entry) => /after the order was cancelled/.test(entry.reason));
    expect(notes.map((entry) => entry.reason)).toEqual([
      'Parcel MC1Z4F7K2Q9D0X picked up after the order was cancelled; to be returned to the sender',
      'Parcel MC1Z4F7K2Q9D0X delivered after the order was cancelled; to be returned to the sender',
    ]);
  });

  it.each(['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const)(
    'Given a %s order that stopped moving, when the reconciler looks at it, then it is left alone',
    (status) => {
      // Prepare
      const order = givenOrder(status, { paymentId: 'pay-1' });

      // Act
      const decision = decideTimeout(order, NOW, '30 minutes');

      // Assess
      expect(decision).toEqual({ kind: 'IGNORE', reason: `The order is ${status}` });
    },
  );
});
