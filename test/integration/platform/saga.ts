import { causedBy, createEvent, type DomainEvent } from '#events';

/** The event types an order's saga produces, one step at a time. */
export type SagaStep =
  | 'OrderCreated'
  | 'StockReserved'
  | 'PaymentSucceeded'
  | 'OrderConfirmed'
  | 'NotificationSent'
  | 'StockReleaseRequested'
  | 'OrderCancelled';

/** A successful order: every service's event, across the orders, inventory and payments topics. */
export const CONFIRMED_ORDER: readonly SagaStep[] = [
  'OrderCreated',
  'StockReserved',
  'PaymentSucceeded',
  'OrderConfirmed',
];

/**
 * Stock was reserved, then the payment failed: the order service asks for the stock back and cancels the
 * order. (The `PaymentFailed` event itself lives in the payment service's outbox.)
 */
export const CANCELLED_ORDER: readonly SagaStep[] = [
  'OrderCreated',
  'StockReserved',
  'StockReleaseRequested',
  'OrderCancelled',
];

/** A successful order and the customer's confirmation e-mail: events on all four topics. */
export const NOTIFIED_ORDER: readonly SagaStep[] = [...CONFIRMED_ORDER, 'NotificationSent'];

/** What the order service's own outbox holds for an order whose payment failed (all on `orders.events`). */
export const PAYMENT_FAILED_ORDER_SERVICE: readonly SagaStep[] = [
  'OrderCreated',
  'StockReleaseRequested',
  'OrderCancelled',
];

/** What the order service's own outbox holds for a confirmed order. */
export const CONFIRMED_ORDER_SERVICE: readonly SagaStep[] = ['OrderCreated', 'OrderConfirmed'];

const PRODUCT_ID = '11111111-1111-1111-1111-111111111111';
const SELLER_ID = 'seller-peripherals';
const QUANTITY = 2;
const UNIT_PRICE = { amountMinor: 2999, currency: 'EUR' };
const TOTAL = { amountMinor: 5998, currency: 'EUR' };
const PAYMENT = { method: 'card', token: 'tok_ok' } as const;
const RECIPIENT = { customerId: 'customer-1', notifications: { email: true, sms: false } };

/**
 * Creates the event of `step` for `orderId` at `now`, validated by `createEvent`. Every step after
 * `OrderCreated` is caused by `parent`, the previous event of the same order.
 */
export function sagaEvent(
  step: SagaStep,
  orderId: string,
  parent: DomainEvent | undefined,
  now: Date,
): DomainEvent {
  const follows = () => {
    if (!parent) throw new Error(`${step} of ${orderId} needs the event that caused it`);
    return causedBy(parent, now);
  };
  switch (step) {
    case 'OrderCreated':
      return createEvent(
        'OrderCreated',
        {
          orderId,
          customerId: 'customer-42',
          lines: [
            {
              productId: PRODUCT_ID,
              sellerId: SELLER_ID,
              name: 'Wireless Mouse',
              quantity: QUANTITY,
              unitPrice: UNIT_PRICE,
              lineTotal: TOTAL,
            },
          ],
          total: TOTAL,
          payment: PAYMENT,
          createdAt: now.toISOString(),
        },
        { source: 'order-service', aggregateId: orderId, now },
      );
    case 'StockReserved':
      return createEvent(
        'StockReserved',
        {
          orderId,
          reservationId: `res-${orderId}`,
          lines: [
            {
              productId: PRODUCT_ID,
              sellerId: SELLER_ID,
              quantity: QUANTITY,
              unitPrice: UNIT_PRICE,
              lineTotal: TOTAL,
            },
          ],
          total: TOTAL,
          payment: PAYMENT,
        },
        { source: 'inventory-service', ...follows() },
      );
    case 'PaymentSucceeded':
      return createEvent(
        'PaymentSucceeded',
        {
          orderId,
          paymentId: `pay-${orderId}`,
          reservationId: `res-${orderId}`,
          amount: TOTAL,
          splits: [{ sellerId: SELLER_ID, amount: TOTAL }],
          pspReference: `psp-${orderId}`,
          attempts: 1,
        },
        { source: 'payment-service', ...follows() },
      );
    case 'OrderConfirmed':
      return createEvent(
        'OrderConfirmed',
        {
          orderId,
          paymentId: `pay-${orderId}`,
          total: TOTAL,
          confirmedAt: now.toISOString(),
          recipient: RECIPIENT,
        },
        { source: 'order-service', ...follows() },
      );
    case 'NotificationSent':
      return createEvent(
        'NotificationSent',
        {
          orderId,
          notificationId: `ntf-${orderId}`,
          channel: 'email',
          template: 'ORDER_CONFIRMED',
          provider: 'ses',
          attempts: 1,
        },
        { source: 'notification-service', ...follows() },
      );
    case 'StockReleaseRequested':
      return createEvent(
        'StockReleaseRequested',
        {
          orderId,
          reservationId: `res-${orderId}`,
          lines: [{ productId: PRODUCT_ID, quantity: QUANTITY }],
          reason: 'PAYMENT_FAILED',
        },
        { source: 'order-service', ...follows() },
      );
    case 'OrderCancelled':
      return createEvent(
        'OrderCancelled',
        {
          orderId,
          reason: 'PAYMENT_FAILED',
          detail: 'DECLINED: Card declined by issuer',
          cancelledAt: now.toISOString(),
          recipient: RECIPIENT,
          cancelledFrom: 'PAYMENT_PENDING',
        },
        { source: 'order-service', ...follows() },
      );
  }
}

/** One order and the steps its saga goes through. */
export interface PlannedSaga {
  orderId: string;
  steps: readonly SagaStep[];
}

/**
 * The order in which the sagas' steps happen when the orders progress side by side: the first step of
 * every order, then the second of every order that has one, and so on.
 */
export function interleave(sagas: readonly PlannedSaga[]): { orderId: string; step: SagaStep }[] {
  const longest = Math.max(0, ...sagas.map((saga) => saga.steps.length));
  const planned: { orderId: string; step: SagaStep }[] = [];
  for (let index = 0; index < longest; index++) {
    for (const saga of sagas) {
      const step = saga.steps[index];
      if (step) planned.push({ orderId: saga.orderId, step });
    }
  }
  return planned;
}
