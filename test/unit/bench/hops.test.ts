import { describe, expect, it } from 'vitest';
import { formatHops, HopRecorder } from '#bench/hops';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

/** A Kafka message carrying an envelope committed at T0 + `committed` ms, published at T0 + `published`. */
function message(
  fields: { eventId: string; source: string; causationId: string | null },
  committed: number,
  published: number,
) {
  return {
    value: Buffer.from(JSON.stringify({ ...fields, occurredAt: new Date(T0 + committed).toISOString() })),
    timestamp: String(T0 + published),
  };
}

describe('Class: HopRecorder', () => {
  it('measures commit → publish per topic from occurredAt to the Kafka timestamp', () => {
    // Prepare
    const hops = new HopRecorder();
    hops.observe(
      'orders.events',
      message({ eventId: 'e1', source: 'order-service', causationId: null }, 0, 10),
    );
    hops.observe(
      'orders.events',
      message({ eventId: 'e2', source: 'order-service', causationId: null }, 0, 30),
    );

    // Act
    const report = hops.report();

    // Assess
    expect(report['orders.events']?.commitToPublish).toEqual({ count: 2, p50: 10, p95: 30 });
    expect(report['orders.events']?.publishToConsume).toEqual({ count: 0, p50: null, p95: null });
  });

  it('measures publish → consume on the topic of the cause, to the earliest reaction of each consuming service', () => {
    // Prepare
    const hops = new HopRecorder();
    hops.observe(
      'orders.events',
      message({ eventId: 'created', source: 'order-service', causationId: null }, 0, 10),
    );
    hops.observe(
      'inventory.events',
      message({ eventId: 'reserved', source: 'inventory-service', causationId: 'created' }, 50, 60),
    );
    hops.observe(
      'payments.events',
      message({ eventId: 'paid', source: 'payment-service', causationId: 'reserved' }, 160, 170),
    );
    // The saga reacts to the same StockReserved twice (two events of one commit): one hop.
    hops.observe(
      'orders.events',
      message({ eventId: 'x1', source: 'order-service', causationId: 'reserved' }, 90, 95),
    );
    hops.observe(
      'orders.events',
      message({ eventId: 'x2', source: 'order-service', causationId: 'reserved' }, 91, 96),
    );

    // Act
    const report = hops.report();

    // Assess
    expect(report['orders.events']?.publishToConsume).toEqual({ count: 1, p50: 40, p95: 40 });
    expect(report['inventory.events']?.publishToConsume).toEqual({ count: 2, p50: 30, p95: 100 });
    expect(report['payments.events']?.publishToConsume.count).toBe(0);
  });

  it('counts a redelivered event once and ignores messages that are not envelopes', () => {
    // Prepare
    const hops = new HopRecorder();
    const first = message({ eventId: 'e1', source: 'order-service', causationId: null }, 0, 10);

    // Act
    hops.observe('orders.events', first);
    hops.observe(
      'orders.events',
      message({ eventId: 'e1', source: 'order-service', causationId: null }, 0, 500),
    );
    hops.observe('orders.events', { value: Buffer.from('not json'), timestamp: String(T0) });
    hops.observe('orders.events', { value: null, timestamp: String(T0) });
    hops.observe('orders.events', { value: Buffer.from('{"eventId":"e9"}'), timestamp: String(T0) });

    // Assess
    expect(hops.report()['orders.events']?.commitToPublish).toEqual({ count: 1, p50: 10, p95: 10 });
  });
});

describe('Function: formatHops', () => {
  it('prints one line per topic, with a dash for a hop not measured', () => {
    // Prepare
    const hops = new HopRecorder();
    hops.observe(
      'notifications.events',
      message({ eventId: 'n1', source: 'notification-service', causationId: null }, 0, 12),
    );

    // Act
    const lines = formatHops(hops.report());

    // Assess
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ {2}notifications\.events\s+p50\s+12 ms\s+p95\s+12 ms \(1\)\s+-\s*$/);
  });
});
