import * as z from 'zod';
import {
  checkPricedLines,
  DetailSchema,
  IdSchema,
  MAX_ORDER_LINES,
  PaymentInstrumentSchema,
  QuantitySchema,
  TimestampSchema,
  whenValid,
} from './common';
import { MoneySchema } from './money';
import { PaymentReversalReasonSchema } from './payments';

/** Order service, topic `orders.events`. */

export const OrderLineSchema = z
  .object({
    productId: IdSchema,
    sellerId: IdSchema,
    name: z.string().min(1).max(200),
    quantity: QuantitySchema,
    unitPrice: MoneySchema,
    lineTotal: MoneySchema,
  })
  .strict();

/** An order was accepted by the API, priced from the catalog, and is PENDING. */
export const OrderCreatedV1 = z
  .object({
    orderId: IdSchema,
    customerId: IdSchema,
    lines: z.array(OrderLineSchema).min(1).max(MAX_ORDER_LINES),
    total: MoneySchema,
    payment: PaymentInstrumentSchema,
    createdAt: TimestampSchema,
  })
  .strict()
  .superRefine(checkPricedLines, whenValid);

/** Stock was reserved and the payment succeeded: the order is CONFIRMED. */
export const OrderConfirmedV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    total: MoneySchema,
    confirmedAt: TimestampSchema,
  })
  .strict();

/**
 * Who to notify about an order and how: a snapshot of the customer's profile when the order was
 * placed (version 2 of OrderConfirmed, version 3 of OrderCancelled). `email` and `phone` are absent
 * when the customer has none; `notifications` says which channels the customer accepts.
 */
export const RecipientSchema = z
  .object({
    customerId: IdSchema,
    name: z.string().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
    phone: z
      .string()
      .regex(/^\+[1-9][0-9]{6,14}$/)
      .optional(),
    notifications: z.object({ email: z.boolean(), sms: z.boolean() }).strict(),
  })
  .strict();
export type Recipient = z.infer<typeof RecipientSchema>;

/** Version 2 adds the recipient, so the notification service can address the customer. */
export const OrderConfirmedV2 = OrderConfirmedV1.extend({ recipient: RecipientSchema }).strict();

export const OrderCancellationReasonSchema = z.enum([
  'STOCK_REJECTED',
  'PAYMENT_FAILED',
  'PAYMENT_DEADLINE_EXCEEDED',
  'CUSTOMER_REQUEST',
]);
export type OrderCancellationReason = z.infer<typeof OrderCancellationReasonSchema>;

/** The order is CANCELLED; any reserved stock has been released first. */
export const OrderCancelledV1 = z
  .object({
    orderId: IdSchema,
    reason: OrderCancellationReasonSchema,
    detail: DetailSchema.optional(),
    cancelledAt: TimestampSchema,
  })
  .strict();

/** Version 2 adds the reason `TIMED_OUT`: the reconciler ended an order that stopped moving. */
export const OrderCancellationReasonV2Schema = z.enum([
  ...OrderCancellationReasonSchema.options,
  'TIMED_OUT',
]);
export type OrderCancellationReasonV2 = z.infer<typeof OrderCancellationReasonV2Schema>;

export const OrderCancelledV2 = OrderCancelledV1.extend({ reason: OrderCancellationReasonV2Schema }).strict();

/** Version 3 adds the recipient (see `RecipientSchema`). */
export const OrderCancelledV3 = OrderCancelledV2.extend({ recipient: RecipientSchema }).strict();

/** The statuses an order can be cancelled from: any before it ships. */
export const OrderCancelledFromSchema = z.enum(['PENDING', 'STOCK_RESERVED', 'PAYMENT_PENDING', 'CONFIRMED']);
export type OrderCancelledFrom = z.infer<typeof OrderCancelledFromSchema>;

/**
 * Version 4 adds `cancelledFrom`: the status the order was in when it was cancelled, so a reader can
 * tell a confirmed order that was cancelled (the customer's request) from one that never was confirmed.
 */
export const OrderCancelledV4 = OrderCancelledV3.extend({ cancelledFrom: OrderCancelledFromSchema }).strict();

/**
 * Compensation: the order saga asks the payment service to give money back for an order that ended
 * CANCELLED (void an open authorization, refund a captured payment).
 */
export const PaymentReversalRequestedV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    reason: PaymentReversalReasonSchema,
  })
  .strict();

export const StockLineSchema = z
  .object({
    productId: IdSchema,
    quantity: QuantitySchema,
  })
  .strict();

/** Compensation: the order saga asks inventory to give back a reservation. */
export const StockReleaseRequestedV1 = z
  .object({
    orderId: IdSchema,
    reservationId: IdSchema,
    lines: z.array(StockLineSchema).min(1).max(MAX_ORDER_LINES),
    reason: z.string().min(1).max(256),
  })
  .strict();
