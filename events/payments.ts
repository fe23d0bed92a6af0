import { z } from 'zod';
import { AttemptsSchema, DetailSchema, IdSchema, whenValid } from './common';
import { MoneySchema } from './money';

/** Payment service, topic `payments.events`. */

export const PaymentSplitSchema = z
  .object({
    sellerId: IdSchema,
    amount: MoneySchema,
  })
  .strict();

/** The PSP authorized the amount; `splits` is the per-seller share, summing to `amount`. */
export const PaymentSucceededV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    amount: MoneySchema,
    splits: z.array(PaymentSplitSchema).min(1),
    pspReference: z.string().min(1).max(256),
    attempts: AttemptsSchema,
  })
  .strict()
  .superRefine((value, ctx) => {
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
  }, whenValid);

export const PaymentFailureReasonSchema = z.enum([
  'DECLINED',
  'INSUFFICIENT_FUNDS',
  'PSP_ERROR',
  'DEADLINE_EXCEEDED',
]);
export type PaymentFailureReason = z.infer<typeof PaymentFailureReasonSchema>;

/** The payment is final and failed (declined, or not settled before its deadline). */
export const PaymentFailedV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    amount: MoneySchema,
    reason: PaymentFailureReasonSchema,
    detail: DetailSchema.optional(),
    attempts: AttemptsSchema,
  })
  .strict();

export const PaymentPendingReasonSchema = z.enum(['PSP_PENDING', 'PSP_TIMEOUT', 'PSP_UNAVAILABLE']);
export type PaymentPendingReason = z.infer<typeof PaymentPendingReasonSchema>;

/**
 * The payment is not final after the in-call retries (the PSP answered pending, timed out or kept
 * failing); status checks continue in the payment status workflow until it settles or its deadline.
 */
export const PaymentPendingV1 = z
  .object({
    orderId: IdSchema,
    paymentId: IdSchema,
    amount: MoneySchema,
    reason: PaymentPendingReasonSchema,
    deadline: z.iso.datetime(),
    attempts: AttemptsSchema,
  })
  .strict();
