import { describe, expect, it } from 'vitest';
import { ALL_TOPICS, EVENT_TYPES, type EventType, type TopicName, Topics, topicFor } from '#events';

const EXPECTED: Record<EventType, TopicName> = {
  OrderCreated: 'orders.events',
  OrderConfirmed: 'orders.events',
  OrderCancelled: 'orders.events',
  StockReleaseRequested: 'orders.events',
  PaymentReversalRequested: 'orders.events',
  StockReserved: 'inventory.events',
  StockRejected: 'inventory.events',
  StockReleased: 'inventory.events',
  StockAdjusted: 'inventory.events',
  PaymentPending: 'payments.events',
  PaymentSucceeded: 'payments.events',
  PaymentFailed: 'payments.events',
  PaymentVoided: 'payments.events',
  PaymentRefunded: 'payments.events',
  NotificationSent: 'notifications.events',
  NotificationFailed: 'notifications.events',
  ShipmentCreated: 'shipping.events',
  OrderShipped: 'shipping.events',
  OrderDelivered: 'shipping.events',
};

describe('Function: topicFor', () => {
  it('covers every registered event type', () => {
    // Act
    const covered = Object.keys(EXPECTED).sort();

    // Assess
    expect(covered).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES)('maps %s to the topic of its bounded context', (type) => {
    // Act
    const topic = topicFor(type);

    // Assess
    expect(topic).toBe(EXPECTED[type]);
    expect(ALL_TOPICS).toContain(topic);
  });

  it('uses every topic for at least one event type', () => {
    // Act
    const used = new Set(EVENT_TYPES.map(topicFor));

    // Assess
    expect([...used].sort()).toEqual([...ALL_TOPICS].sort());
  });
});

describe('Constant: Topics', () => {
  it('names one topic per bounded context', () => {
    // Assess
    expect(Topics).toEqual({
      orders: 'orders.events',
      inventory: 'inventory.events',
      payments: 'payments.events',
      notifications: 'notifications.events',
      shipping: 'shipping.events',
    });
    expect(ALL_TOPICS).toEqual(Object.values(Topics));
  });
});
