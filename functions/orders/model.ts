import * as z from 'zod';
import type { Recipient } from '#events';
import { type Money, MoneySchema } from '#platform/money';
import { type HistoryEntry, ORDER_STATUSES, type OrderStatus } from './domain/order';
import type { PricedLine } from './domain/pricing';

/** An order id: a ULID (Crockford base 32, 26 characters). */
export const OrderIdSchema = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  .describe('the order id, a 26-character ULID');

export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });
/** An Idempotency-Key is scoped to its customer: two customers may send the same key. */
export const idempotencyKey = (customerId: string, key: string) => ({
  pk: `IDEMPOTENCY#${customerId}#${key}`,
  sk: 'IDEMPOTENCY',
});

/**
 * Index of a customer's orders, newest first (sparse: only order items carry `customerId`). It holds
 * keys only, none of which change after an order is placed, so a status change never writes it.
 */
export const CUSTOMER_ORDERS_INDEX = 'byCustomer';

/** Sparse index of orders not finished yet (`openShard`, by `createdAt`), read by the reconciler. */
export const OPEN_ORDERS_INDEX = 'open';
/** Open orders spread over this many index partitions. */
export const OPEN_SHARDS = 4;

/** The open-orders index partition of an order. */
export function openShardOf(orderId: string): string {
  let hash = 0;
  for (const char of orderId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `OPEN#${hash % OPEN_SHARDS}`;
}

/** How long a client may replay a POST /orders (or a checkout) with the same Idempotency-Key. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** The order item in the orders table. */
export interface OrderItem {
  pk: string;
  sk: string;
  entity: 'ORDER';
  orderId: string;
  customerId: string;
  status: OrderStatus;
  lines: PricedLine[];
  total: Money;
  payment: { method: 'card'; token: string };
  correlationId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  history: HistoryEntry[];
  /** Set by the saga when stock is reserved; the compensation releases it. */
  reservationId?: string;
  /** Set by the saga when the payment settles. */
  paymentId?: string;
  /** Set while the order is not finished: its partition in the open-orders index. */
  openShard?: string;
  /** The saga asked inventory to release the reservation (once). */
  releaseRequested?: boolean;
  /** The saga asked the payment service to void or refund the payment (once). */
  reversalRequested?: boolean;
  /**
   * Who to notify of the order's outcome: the customer's profile when the order was placed (absent on
   * orders placed before profiles existed).
   */
  recipient?: Recipient;
}

/**
 * The recipient of an order's outcome events: its snapshot, or for an order placed before profiles
 * existed the customer alone, on every channel (the notification service then uses its placeholder
 * addresses, as it did for those orders).
 */
export function recipientOf(order: Pick<OrderItem, 'customerId' | 'recipient'>): Recipient {
  return order.recipient ?? { customerId: order.customerId, notifications: { email: true, sms: true } };
}

/** The stored outcome of a POST /orders, replayed for a repeated Idempotency-Key. */
export interface IdempotencyItem {
  pk: string;
  sk: string;
  entity: 'IDEMPOTENCY';
  requestHash: string;
  /**
   * A checkout's cart (`cartSignature`): the same key with the same body is a replay only while the
   * cart is empty (the checkout cleared it) or holds these lines. Absent for POST /orders.
   */
  cartSignature?: string;
  orderId: string;
  /** The order's saga (its OrderCreated's eventId); absent on records written before it was kept. */
  correlationId?: string;
  statusCode: number;
  responseBody: string;
  location: string;
  createdAt: string;
  expiresAt: number;
}

/** The path of an order, under the base path the client called the API with (see `basePathOf`). */
export const orderPath = (orderId: string, basePath = '') => `${basePath}/orders/${orderId}`;

/** One order in a customer's list (`GET /orders`): its keys from the `byCustomer` index, its summary from the order. */
export interface OrderSummaryItem {
  pk: string;
  sk: string;
  customerId: string;
  createdAt: string;
  orderId: string;
  status: OrderStatus;
  total: Money;
  updatedAt: string;
}

const TIMESTAMP = z.string().describe('ISO 8601 UTC timestamp');
const OrderStatusSchema = z.enum(ORDER_STATUSES).meta({ id: 'OrderStatus' });
const LinksSchema = z.strictObject({
  self: z.string().describe('the path of the order, under the base path the API was called with'),
});

/** One order in a customer's list (`GET /orders`). */
export const OrderSummaryViewSchema = z
  .strictObject({
    orderId: z.string(),
    status: OrderStatusSchema,
    total: MoneySchema,
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
    links: LinksSchema,
  })
  .meta({ id: 'OrderSummary' });
export type OrderSummaryView = z.infer<typeof OrderSummaryViewSchema>;

/** An order with its lines and history (`POST /orders`, `GET /orders/{orderId}`). */
export const OrderViewSchema = z
  .strictObject({
    orderId: z.string(),
    customerId: z.string().describe('the subject (`sub`) of the token that placed the order'),
    status: OrderStatusSchema,
    lines: z.array(
      z.strictObject({
        productId: z.string(),
        name: z.string(),
        sellerId: z.string(),
        quantity: z.number().int(),
        unitPrice: MoneySchema,
        lineTotal: MoneySchema,
      }),
    ),
    total: MoneySchema,
    payment: z.strictObject({ method: z.literal('card') }).describe('the payment token is never shown'),
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
    history: z.array(
      z.strictObject({
        status: OrderStatusSchema,
        at: TIMESTAMP,
        reason: z.string(),
        eventId: z.string().optional().describe('the event that caused the transition'),
      }),
    ),
    links: LinksSchema,
  })
  .meta({ id: 'Order' });
export type OrderView = z.infer<typeof OrderViewSchema>;

export function orderSummaryView(order: OrderSummaryItem, basePath = ''): OrderSummaryView {
  return {
    orderId: order.orderId,
    status: order.status,
    total: { amountMinor: order.total.amountMinor, currency: order.total.currency },
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    links: { self: orderPath(order.orderId, basePath) },
  };
}

/** The public view of an order; the payment token never leaves the service. */
export function orderView(order: OrderItem, basePath = ''): OrderView {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: order.status,
    lines: order.lines.map((line) => ({
      productId: line.productId,
      name: line.name,
      sellerId: line.sellerId,
      quantity: line.quantity,
      unitPrice: { amountMinor: line.unitPrice.amountMinor, currency: line.unitPrice.currency },
      lineTotal: { amountMinor: line.lineTotal.amountMinor, currency: line.lineTotal.currency },
    })),
    total: { amountMinor: order.total.amountMinor, currency: order.total.currency },
    payment: { method: order.payment.method },
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    history: order.history.map((entry) => ({
      status: entry.status,
      at: entry.at,
      reason: entry.reason,
      ...(entry.eventId ? { eventId: entry.eventId } : {}),
    })),
    links: { self: orderPath(order.orderId, basePath) },
  };
}
