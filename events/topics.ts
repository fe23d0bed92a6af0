import type { EventType } from './schemas';

/** Kafka topics, one per bounded context. */
export const Topics = {
  orders: 'orders.events',
  inventory: 'inventory.events',
  payments: 'payments.events',
  notifications: 'notifications.events',
  shipping: 'shipping.events',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

const TOPIC_BY_EVENT_TYPE: { readonly [T in EventType]: TopicName } = {
  OrderCreated: Topics.orders,
  OrderConfirmed: Topics.orders,
  OrderCancelled: Topics.orders,
  StockReleaseRequested: Topics.orders,
  PaymentReversalRequested: Topics.orders,
  StockReserved: Topics.inventory,
  StockRejected: Topics.inventory,
  StockReleased: Topics.inventory,
  StockAdjusted: Topics.inventory,
  PaymentPending: Topics.payments,
  PaymentSucceeded: Topics.payments,
  PaymentFailed: Topics.payments,
  PaymentVoided: Topics.payments,
  PaymentRefunded: Topics.payments,
  NotificationSent: Topics.notifications,
  NotificationFailed: Topics.notifications,
  ShipmentCreated: Topics.shipping,
  OrderShipped: Topics.shipping,
  OrderDelivered: Topics.shipping,
};

/** The topic an event type is published to (the producer's bounded context). */
export function topicFor(eventType: EventType): TopicName {
  return TOPIC_BY_EVENT_TYPE[eventType];
}
