import { PermanentError } from '#platform/errors';
import type { Money } from '#platform/money';

export interface SplitLine {
  sellerId: string;
  lineTotal: Money;
}

export interface PaymentSplit {
  sellerId: string;
  amount: Money;
}

/** The lines of a payment cannot be split so that the shares add up to the amount. */
export class SplitError extends PermanentError {
  readonly code = 'INVALID_SPLIT';
}

/**
 * The per-seller split of a payment: the line totals summed per sellerId, in integer minor units,
 * sellers in sorted order. Throws a `SplitError` when a line is in another currency than `total`, an
 * amount is not a non-negative safe integer, or the shares do not add up to `total` exactly.
 */
export function splitBySeller(lines: readonly SplitLine[], total: Money): PaymentSplit[] {
  if (lines.length === 0) throw new SplitError('A payment needs at least one line to split');
  const shares = new Map<string, bigint>();
  for (const line of lines) {
    const { amountMinor, currency } = line.lineTotal;
    if (currency !== total.currency) {
      throw new SplitError(
        `Line of seller ${line.sellerId} is in ${currency}, the payment in ${total.currency}`,
      );
    }
    if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) {
      throw new SplitError(`Line of seller ${line.sellerId} has an invalid amount ${amountMinor}`);
    }
    shares.set(line.sellerId, (shares.get(line.sellerId) ?? 0n) + BigInt(amountMinor));
  }
  let sum = 0n;
  for (const share of shares.values()) sum += share;
  if (sum !== BigInt(total.amountMinor)) {
    throw new SplitError(`The seller shares sum to ${sum}, not to the payment amount ${total.amountMinor}`);
  }
  return [...shares.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sellerId, share]) => ({
      sellerId,
      amount: { amountMinor: Number(share), currency: total.currency },
    }));
}
