import * as z from 'zod';
import { AttemptsSchema, DetailSchema, IdSchema, whenValid } from './common';
import { MoneySchema } from './money';

/** Payment service, topic `payments.events`. */

export const PaymentSplitSchema = z
  .object({
    sellerId: IdSchema,
    amount: MoneySchema,
  })
  .strict();

const SucceededFields = {
  orderId: IdSchema,
  paymentId: IdSchema,
  amount: MoneySchema,
  splits: z.array(PaymentSplitSchema).min(1),
  pspReference: z.string().min(1).max(256),
  attempts: AttemptsSchema,
};

/** The splits are in the payment's currency and add up to its amount. */
function splitsAddUp(
  value: { amount: z.infer<typeof MoneySchema>; splits: z.infer<typeof PaymentSplitSchema>[] },
  ctx: z.RefinementCtx,
): void {
  let sum = 0n;
  value.splits.forEach((split, index) => {
    if (split.amount.currency !== value.amount.currency) {
      ctx.addIssue({
        code: 'custom',
        message: `Currency ${split.amount.currency} differs from the payment's currency ${value.amount.currency}`,
        path: ['splits', index, 'amount', 'currency'],
        input: split.amount.currency,
      });
    }
    sum += BigInt(split.amount.amountMinor);
  });
  if (sum !== BigInt(value.amount.amountMinor)) {
    ctx.addIssue({
      code: 'custom',
      message: `The splits sum to ${sum}, not to the payment amount ${value.amount.amountMinor}`,
      path: ['splits'],
      input: value.splits,
    });
  }
}

/** The PSP authorized (and captured) the amount; `splits` is the per-seller share, summing to `amount`. */
export const PaymentSucceededV1 = z.object(SucceededFields).strict().superRefine(splitsAddUp, whenValid);

/**
 * Version 2 also names the stock reservation the payment was made for, so the saga can apply the
 * payment even when it arrives before StockReserved (topics are not ordered with each other).
 */
export const PaymentSucceededV2 = z
  .object({ ...SucceededFields, reservationId: IdSchema })
  .strict()
  .superRefine(splitsAddUp, whenValid);

export const PaymentFailureReasonSchema = z.enum([
  'DECLINED',
  'INSUFFICIENT_FUNDS',
  'PSP_ERROR',
  'DEADLINE_EXCEEDED',
]);
export type PaymentFailureReason = z.infer<typeof PaymentFailureReasonSchema>;

const FailedFields = {
  orderId: IdSchema,
  paymentId: IdSchema,
  amount: MoneySchema,
  reason: PaymentFailureReasonSchema,
  detail: DetailSchema.optional(),
  attempts: AttemptsSchema,
};

/** The payment is final and failed (declined, or not settled before its deadline). */
export const PaymentFailedV1 = z.object(FailedFields).strict();

/** Version 2 also names the stock reservation (see PaymentSucceededV2). */
export const PaymentFailedV2 = z.object({ ...FailedFields, reservationId: IdSchema }).strict();

export const PaymentPendingReasonSchema = z.enum(['PSP_PENDING', 'PSP_TIMEOUT', 'PSP_UNAVAILABLE']);
export type PaymentPendingReason = z.infer<typeof PaymentPendingReasonSchema>;

/**
 * The payment is not final after the in-call retries (the PSP answered pending, timed out or kept
 * failing); status checks continue in the payment status workflow until it settles or its deadline.
 */
const PendingFields = {
  orderId: IdSchema,
  paymentId: IdSchema,
  amount: MoneySchema,
  reason: PaymentPendingReasonSchema,
  deadline: z.iso.datetime(),
  attempts: AttemptsSchema,
};

export const PaymentPendingV1 = z.object(PendingFields).strict();

/** Version 2 also names the stock reservation (see PaymentSucceededV2). */
export const PaymentPendingV2 = z.object({ ...PendingFields, reservationId: IdSchema }).strict();

export const PaymentReversalReasonSchema = z.enum([
  /** The order was cancelled while the payment was open or after it succeeded. */
  'ORDER_CANCELLED',
  /** The payment did not settle before its deadline; whatever the PSP holds is released. */
  'DEADLINE_EXCEEDED',
]);
export type PaymentReversalReason = z.infer<typeof PaymentReversalReasonSchema>;

/** An authorization released at the PSP before capture: the customer was never charged. */
export const PaymentVoidedV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    amount: MoneySchema,
    reason: PaymentReversalReasonSchema,
    pspReference: z.string().min(1).max(256).optional(),
  })
  .strict();

/** A captured payment paid back in full at the PSP. */
export const PaymentRefundedV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    amount: MoneySchema,
    reason: PaymentReversalReasonSchema,
    pspReference: z.string().min(1).max(256),
  })
  .strict();
