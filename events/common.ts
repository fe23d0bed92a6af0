import * as z from 'zod';
import type { Money } from './money';

/** Identifiers (orderId, productId, sellerId, ...): non-empty strings of at most 128 characters. */
export const IdSchema = z.string().min(1).max(128);

/** ISO-8601 UTC timestamp with a `Z` suffix, e.g. `2025-03-01T12:00:00.000Z`. */
export const TimestampSchema = z.iso.datetime();

/** Quantity of one product in an order line. */
export const QuantitySchema = z.number().int().min(1).max(1000);

/** Maximum number of lines in one order. */
export const MAX_ORDER_LINES = 50;

/** Payment instrument carried with an order: a PSP card token, never card data. */
export const PaymentInstrumentSchema = z
  .object({
    method: z.literal('card'),
    token: z.string().min(1).max(512),
  })
  .strict();

/** Free-text explanation attached to failures and cancellations. */
export const DetailSchema = z.string().max(1024);

/** Number of attempts an operation took; at least one. */
export const AttemptsSchema = z.number().int().min(1);

/**
 * Cross-field checks run only when the payload is otherwise valid, so they can rely on its shape.
 */
export const whenValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

interface PricedLine {
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

type IssueSink = {
  addIssue(issue: { code: 'custom'; message: string; path: PropertyKey[]; input: unknown }): void;
};

/**
 * Checks that every line is priced in the currency of `total`, that each `lineTotal` equals
 * `unitPrice × quantity`, and that `total` is the sum of the line totals. Integer (bigint) arithmetic only.
 */
export function checkPricedLines(value: { lines: PricedLine[]; total: Money }, ctx: IssueSink): void {
  const currency = value.total.currency;
  let sum = 0n;
  value.lines.forEach((line, index) => {
    for (const field of ['unitPrice', 'lineTotal'] as const) {
      if (line[field].currency !== currency) {
        ctx.addIssue({
          code: 'custom',
          message: `Currency ${line[field].currency} differs from the total's currency ${currency}`,
          path: ['lines', index, field, 'currency'],
          input: line[field].currency,
        });
      }
    }
    const expected = BigInt(line.unitPrice.amountMinor) * BigInt(line.quantity);
    if (BigInt(line.lineTotal.amountMinor) !== expected) {
      ctx.addIssue({
        code: 'custom',
        message: `lineTotal must equal unitPrice × quantity (${expected})`,
        path: ['lines', index, 'lineTotal', 'amountMinor'],
        input: line.lineTotal.amountMinor,
      });
    }
    sum += BigInt(line.lineTotal.amountMinor);
  });
  if (BigInt(value.total.amountMinor) !== sum) {
    ctx.addIssue({
      code: 'custom',
      message: `total must equal the sum of the line totals (${sum})`,
      path: ['total', 'amountMinor'],
      input: value.total.amountMinor,
    });
  }
}
