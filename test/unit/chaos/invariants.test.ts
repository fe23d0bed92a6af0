import { describe, expect, it } from 'vitest';
import { isQuiet, judge, moneyState, violationsOf } from '#chaos/invariants';
import type { OutboxRow, Scope, Snapshot, TopicMessage } from '#chaos/model';

const MOUSE = 'mouse';

const row = (
  service: string,
  aggregateId: string,
  eventType: string,
  eventId: string,
  topic: string,
  payload?: Record<string, unknown>,
): OutboxRow => ({
  service,
  aggregateId,
  eventId,
  eventType,
  topic,
  published: true,
  ...(payload ? { payload } : {}),
});

/**
 * A quiet, healthy system with two orders: o-1 confirmed (reserved, charged, notified by email),
 * o-2 cancelled (reserved, declined, released, notified by email and SMS). 10 mice at the start.
 */
function healthy(): Snapshot {
  const outbox: OutboxRow[] = [
    row('orders', 'o-1', 'OrderCreated', 'e1', 'orders.events'),
    row('inventory', 'o-1', 'StockReserved', 'e2', 'inventory.events'),
    row('payments', 'o-1', 'PaymentSucceeded', 'e3', 'payments.events'),
    row('orders', 'o-1', 'OrderConfirmed', 'e4', 'orders.events'),
    row('notifications', 'o-1', 'NotificationSent', 'e5', 'notifications.events', {
      notificationId: 'o-1#ORDER_CONFIRMED#email',
    }),
    row('orders', 'o-2', 'OrderCreated', 'e6', 'orders.events'),
    row('inventory', 'o-2', 'StockReserved', 'e7', 'inventory.events'),
    row('payments', 'o-2', 'PaymentFailed', 'e8', 'payments.events'),
    row('orders', 'o-2', 'OrderCancelled', 'e9', 'orders.events'),
    row('orders', 'o-2', 'StockReleaseRequested', 'e10', 'orders.events'),
    row('inventory', 'o-2', 'StockReleased', 'e11', 'inventory.events'),
    row('notifications', 'o-2', 'NotificationSent', 'e12', 'notifications.events', {
      notificationId: 'o-2#ORDER_CANCELLED#email',
    }),
    row('notifications', 'o-2', 'NotificationSent', 'e13', 'notifications.events', {
      notificationId: 'o-2#ORDER_CANCELLED#sms',
    }),
  ];
  const topics: TopicMessage[] = outbox.map((r) => ({
    topic: r.topic,
    key: r.aggregateId,
    eventId: r.eventId,
    eventType: r.eventType,
    ...(r.payload ? { payload: r.payload } : {}),
  }));
  return {
    orders: [
      { orderId: 'o-1', status: 'CONFIRMED' },
      { orderId: 'o-2', status: 'CANCELLED' },
    ],
    outbox,
    reservations: [
      { orderId: 'o-1', status: 'RESERVED', lines: [{ productId: MOUSE, quantity: 2 }] },
      { orderId: 'o-2', status: 'RELEASED', lines: [{ productId: MOUSE, quantity: 1 }] },
    ],
    stock: new Map([[MOUSE, 8]]),
    payments: [
      { paymentId: 'pay-o-1', orderId: 'o-1', status: 'SUCCEEDED' },
      { paymentId: 'pay-o-2', orderId: 'o-2', status: 'FAILED' },
    ],
    psp: [
      { paymentId: 'pay-o-1', status: 'SUCCEEDED' },
      { paymentId: 'pay-o-2', status: 'DECLINED' },
    ],
    notifications: [
      {
        notificationId: 'o-1#ORDER_CONFIRMED#email',
        orderId: 'o-1',
        template: 'ORDER_CONFIRMED',
        channel: 'email',
        status: 'SENT',
      },
      {
        notificationId: 'o-2#ORDER_CANCELLED#email',
        orderId: 'o-2',
        template: 'ORDER_CANCELLED',
        channel: 'email',
        status: 'SENT',
      },
      {
        notificationId: 'o-2#ORDER_CANCELLED#sms',
        orderId: 'o-2',
        template: 'ORDER_CANCELLED',
        channel: 'sms',
        status: 'SENT',
      },
    ],
    deadLetters: [],
    parked: [],
    topics,
  };
}

const scope = (overrides: Partial<Scope> = {}): Scope => ({
  orderIds: new Set(['o-1', 'o-2']),
  poison: new Map(),
  stockBaseline: new Map([[MOUSE, 10]]),
  ...overrides,
});

/** The counters of a verdict that are not zero, besides orders and terminal. */
const broken = (snapshot: Snapshot, within: Scope = scope()) => {
  const { orders, terminal, findings, expectedDeadLetters, ...counters } = judge(snapshot, within);
  return {
    ...Object.fromEntries(Object.entries(counters).filter(([, value]) => value !== 0)),
    ...(terminal < orders ? { notTerminal: orders - terminal } : {}),
  };
};

describe('Function: judge', () => {
  it('finds no violation in a quiet, healthy system', () => {
    // Prepare
    const snapshot = healthy();

    // Act
    const verdict = judge(snapshot, scope());

    // Assess
    expect(verdict).toMatchObject({ orders: 2, terminal: 2, findings: [] });
    expect(violationsOf(verdict)).toBe(0);
  });

  it('counts an order that never finished', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.orders[0] = { orderId: 'o-1', status: 'PAYMENT_PENDING' };
    snapshot.notifications.shift();

    // Act
    const verdict = judge(snapshot, scope());

    // Assess
    expect(verdict.terminal).toBe(1);
    expect(violationsOf(verdict)).toBeGreaterThan(0);
    expect(verdict.findings[0]).toContain('o-1 is PAYMENT_PENDING');
  });

  it('counts an outbox row that was never published as a lost event', () => {
    // Prepare
    const snapshot = healthy();
    (snapshot.outbox[3] as OutboxRow).published = false;
    snapshot.topics = snapshot.topics?.filter((message) => message.eventId !== 'e4');

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ lostEvents: 1 });
  });

  it('does not wait for a quarantined row', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.outbox.push({
      ...row('orders', 'o-1', 'OrderNoted', 'e99', 'orders.events'),
      published: false,
      quarantined: true,
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({});
  });

  it('counts a row marked published that is not on its topic as a lost event', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.topics = snapshot.topics?.filter((message) => message.eventId !== 'e2');

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ lostEvents: 1 });
  });

  it('counts an OrderCreated that inventory never handled as a lost event', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.reservations = snapshot.reservations.filter((r) => r.orderId !== 'o-1');
    snapshot.stock.set(MOUSE, 10);

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ lostEvents: 1 });
  });

  it('counts a StockReserved that payments never handled as a lost event', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.payments = snapshot.payments.filter((p) => p.orderId !== 'o-2');

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ lostEvents: 1 });
  });

  it('counts a finished order without its notification as a lost event', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.notifications = snapshot.notifications.filter((n) => n.orderId !== 'o-1');

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ lostEvents: 1 });
  });

  it('counts a second StockReserved of one order as a double reservation', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.outbox.push(row('inventory', 'o-1', 'StockReserved', 'e2-again', 'inventory.events'));
    snapshot.topics?.push({
      topic: 'inventory.events',
      key: 'o-1',
      eventId: 'e2-again',
      eventType: 'StockReserved',
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ doubleReservations: 1 });
  });

  it('counts a redelivered StockReserved (same eventId) as no double reservation', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.topics?.push({
      topic: 'inventory.events',
      key: 'o-1',
      eventId: 'e2',
      eventType: 'StockReserved',
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({});
  });

  it('counts a second StockReleased of one order as a double release, seen on the topic alone', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.topics?.push({
      topic: 'inventory.events',
      key: 'o-2',
      eventId: 'e11-again',
      eventType: 'StockReleased',
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ doubleReleases: 1 });
  });

  it('measures units that appeared or vanished as stock drift', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.stock.set(MOUSE, 9);

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ stockDrift: 1 });
  });

  it('counts units sold below zero stock as oversold', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.stock.set(MOUSE, -2);
    snapshot.reservations.push({
      orderId: 'o-3',
      status: 'RESERVED',
      lines: [{ productId: MOUSE, quantity: 10 }],
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ oversold: 2 });
    expect(judge(snapshot, scope()).findings).toEqual(['product mouse is oversold: -2 units in stock']);
  });

  it('counts a cancelled order whose reservation was never released', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.reservations[1] = {
      orderId: 'o-2',
      status: 'RESERVED',
      lines: [{ productId: MOUSE, quantity: 1 }],
    };
    snapshot.stock.set(MOUSE, 7);

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ unreleasedReservations: 1 });
    expect(judge(snapshot, scope()).findings).toEqual([
      'order o-2 is CANCELLED but its reservation still holds 1 × mouse',
    ]);
  });

  it('counts two PSP charges of one order as a double charge', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.payments.push({ paymentId: 'pay-o-1-b', orderId: 'o-1', status: 'SUCCEEDED' });
    snapshot.psp?.push({ paymentId: 'pay-o-1-b', status: 'SUCCEEDED' });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ doubleCharges: 1 });
  });

  it('counts two PaymentSucceeded events of one order as a double charge', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.outbox.push(row('payments', 'o-1', 'PaymentSucceeded', 'e3-again', 'payments.events'));
    snapshot.topics?.push({
      topic: 'payments.events',
      key: 'o-1',
      eventId: 'e3-again',
      eventType: 'PaymentSucceeded',
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ doubleCharges: 1 });
  });

  it('counts a cancelled order whose money the PSP holds', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.psp = [
      { paymentId: 'pay-o-1', status: 'SUCCEEDED' },
      { paymentId: 'pay-o-2', status: 'SUCCEEDED' },
    ];

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ chargesOnCancelled: 1 });
  });

  it('accepts a cancelled order whose payment the PSP voided or refunded', () => {
    // Prepare
    const voided = healthy();
    voided.psp = [
      { paymentId: 'pay-o-1', status: 'SUCCEEDED' },
      { paymentId: 'pay-o-2', status: 'VOIDED' },
    ];
    const refunded = healthy();
    refunded.psp = [
      { paymentId: 'pay-o-1', status: 'SUCCEEDED' },
      { paymentId: 'pay-o-2', status: 'REFUNDED' },
    ];

    // Act
    const results = [broken(voided), broken(refunded)];

    // Assess
    expect(results).toEqual([{}, {}]);
  });

  it('reads the payments table for the money when the PSP is not readable', () => {
    // Prepare
    const snapshot = healthy();
    delete snapshot.psp;
    snapshot.payments[1] = { paymentId: 'pay-o-2', orderId: 'o-2', status: 'SUCCEEDED' };

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ chargesOnCancelled: 1 });
  });

  it('counts a notification published twice as a duplicate', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.topics?.push({
      topic: 'notifications.events',
      key: 'o-1',
      eventId: 'e5-again',
      eventType: 'NotificationSent',
      payload: { notificationId: 'o-1#ORDER_CONFIRMED#email' },
    });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ duplicateNotifications: 1 });
  });

  it('counts a notification stored twice as a duplicate', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.notifications.push({ ...(snapshot.notifications[1] as Snapshot['notifications'][number]) });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ duplicateNotifications: 1 });
  });

  it('counts an open dead letter and a parked record of the scenario’s orders', () => {
    // Prepare
    const snapshot = healthy();
    snapshot.deadLetters.push(
      {
        id: 'd1',
        service: 'payments',
        topic: 'inventory.events',
        key: 'o-1',
        aggregateId: 'o-1',
        eventId: 'e2',
        errorKind: 'HANDLER_FAILED',
        status: 'OPEN',
      },
      {
        id: 'd2',
        service: 'payments',
        topic: 'inventory.events',
        key: 'o-1',
        aggregateId: 'o-1',
        eventId: 'e2',
        errorKind: 'HANDLER_FAILED',
        status: 'REDRIVEN',
      },
      {
        id: 'd3',
        service: 'payments',
        topic: 'inventory.events',
        key: 'other',
        aggregateId: 'other',
        errorKind: 'HANDLER_FAILED',
        status: 'OPEN',
      },
    );
    snapshot.parked.push({ service: 'orders', eventId: 'e7', aggregateId: 'o-2' });

    // Act
    const result = broken(snapshot);

    // Assess
    expect(result).toEqual({ openDeadLetters: 2 });
  });

  it('expects the poison records dead-lettered by every consumer of their topic', () => {
    // Prepare
    const snapshot = healthy();
    const within = scope({ poison: new Map([['poison-1', ['inventory', 'analytics']]]) });
    snapshot.deadLetters.push({
      id: 'd1',
      service: 'inventory',
      topic: 'orders.events',
      key: 'poison-1',
      errorKind: 'INVALID_JSON',
      status: 'OPEN',
    });

    // Act
    const verdict = judge(snapshot, within);

    // Assess
    expect(broken(snapshot, within)).toEqual({ lostEvents: 1 });
    expect(verdict.expectedDeadLetters).toBe(1);
    expect(verdict.findings).toEqual(['poison record poison-1 was not dead-lettered by analytics']);
  });
});

describe('Function: moneyState', () => {
  it('tells charged, held and released money apart, and takes unknown states for held', () => {
    // Prepare
    const statuses = [
      'SUCCEEDED',
      'PENDING',
      'DECLINED',
      'VOIDED',
      'REFUNDED',
      undefined,
      'PARTIALLY_CAPTURED',
    ];

    // Act
    const states = statuses.map(moneyState);

    // Assess
    expect(states).toEqual(['charged', 'held', 'none', 'none', 'none', 'none', 'held']);
  });
});

describe('Function: isQuiet', () => {
  it('is quiet for a healthy system and waits for unfinished orders, rows, parked records and payments', () => {
    // Prepare
    const busy = healthy();
    busy.orders[0] = { orderId: 'o-1', status: 'PAYMENT_PENDING' };
    busy.payments[0] = { paymentId: 'pay-o-1', orderId: 'o-1', status: 'AWAITING_STATUS' };
    (busy.outbox[0] as OutboxRow).published = false;
    busy.parked.push({ service: 'orders', eventId: 'e7', aggregateId: 'o-2' });

    // Act
    const calm = isQuiet(healthy(), scope());
    const waiting = isQuiet(busy, scope());

    // Assess
    expect(calm).toEqual({ quiet: true, waitingFor: [] });
    expect(waiting.quiet).toBe(false);
    expect(waiting.waitingFor.join(', ')).toMatch(
      /1 orders.*1 unpublished outbox rows.*1 parked records.*1 payments/,
    );
  });

  it('waits for the release of a cancelled order’s money', () => {
    // Prepare
    const releasing = healthy();
    releasing.psp = [
      { paymentId: 'pay-o-1', status: 'SUCCEEDED' },
      { paymentId: 'pay-o-2', status: 'PENDING' },
    ];

    // Act
    const probe = isQuiet(releasing, scope());

    // Assess
    expect(probe).toEqual({ quiet: false, waitingFor: ['1 reversals'] });
  });

  it('waits for the release of a cancelled order’s stock', () => {
    // Prepare
    const releasing = healthy();
    releasing.reservations[1] = {
      orderId: 'o-2',
      status: 'RESERVED',
      lines: [{ productId: MOUSE, quantity: 1 }],
    };
    releasing.stock.set(MOUSE, 7);

    // Act
    const probe = isQuiet(releasing, scope());

    // Assess
    expect(probe).toEqual({ quiet: false, waitingFor: ['1 stock releases'] });
  });
});
