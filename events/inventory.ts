import * as z from 'zod';
import {
  checkPricedLines,
  IdSchema,
  MAX_ORDER_LINES,
  PaymentInstrumentSchema,
  QuantitySchema,
  whenValid,
} from './common';
import { MoneySchema } from './money';
import { StockLineSchema } from './orders';

/** Inventory service, topic `inventory.events`. */

export const ReservedLineSchema = z
  .object({
    productId: IdSchema,
    sellerId: IdSchema,
    quantity: QuantitySchema,
    unitPrice: MoneySchema,
    lineTotal: MoneySchema,
  })
  .strict();

/**
 * Every line of the order was reserved in one transaction. Carries what the payment service needs
 * (amount, per-seller lines, payment token) so it does not have to read the order.
 */
export const StockReservedV1 = z
  .object({
    orderId: IdSchema,
    reservationId: IdSchema,
    lines: z.array(ReservedLineSchema).min(1).max(MAX_ORDER_LINES),
    total: MoneySchema,
    payment: PaymentInstrumentSchema,
  })
  .strict()
  .superRefine(checkPricedLines, whenValid);

export const StockRejectionReasonSchema = z.enum(['INSUFFICIENT_STOCK', 'UNKNOWN_PRODUCT']);
export type StockRejectionReason = z.infer<typeof StockRejectionReasonSchema>;

/** The reservation failed as a whole; nothing was reserved. Lists the lines that could not be served. */
export const StockRejectedV1 = z
  .object({
    orderId: IdSchema,
    reason: StockRejectionReasonSchema,
    lines: z
      .array(
        z
          .object({
            productId: IdSchema,
            requested: z.number().int().min(1),
            available: z.number().int().nonnegative(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_ORDER_LINES),
  })
  .strict();

/** A reservation was given back (compensation for a failed payment). */
export const StockReleasedV1 = z
  .object({
    orderId: IdSchema,
    reservationId: IdSchema,
    lines: z.array(StockLineSchema).min(1).max(MAX_ORDER_LINES),
  })
  .strict();

/**
 * The back office changed a product's stock by hand (a restock, a count correction): the stock before
 * and after, the change as requested (`set` or `add`), who made it and why.
 */
export const StockAdjustedV1 = z
  .object({
    productId: IdSchema,
    adjustmentId: IdSchema,
    change: z.enum(['SET', 'ADD']),
    quantity: z.number().int(),
    stockBefore: z.number().int().nonnegative(),
    stockAfter: z.number().int().nonnegative(),
    adjustedBy: z.string().min(1).max(256),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict();
