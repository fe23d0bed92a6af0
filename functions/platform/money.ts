import * as z from 'zod';
import { PermanentError } from './errors';

/**
 * Money is an integer number of minor units (cents) plus an ISO 4217 currency code. No floating
 * point is used anywhere an amount is computed.
 */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

const CURRENCY = /^[A-Z]{3}$/;

/** Money as the API shows it. */
export const MoneySchema = z
  .strictObject({
    amountMinor: z.number().int().describe('an integer number of minor units, e.g. cents'),
    currency: z.string().regex(CURRENCY).describe('ISO 4217 currency code'),
  })
  .meta({ id: 'Money' });

/** An amount or currency that breaks the money rules; a bug, never something to retry. */
export class MoneyError extends PermanentError {
  readonly code = 'INVALID_MONEY';
}

export function money(amountMinor: number, currency: string): Money {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) {
    throw new MoneyError(`Amount must be a non-negative safe integer of minor units, got ${amountMinor}`);
  }
  if (!CURRENCY.test(currency)) {
    throw new MoneyError(`Currency must be an ISO 4217 code, got "${currency}"`);
  }
  return { amountMinor, currency };
}

export function multiply(price: Money, quantity: number): Money {
  if (!Number.isSafeInteger(quantity) || quantity < 0) {
    throw new MoneyError(`Quantity must be a non-negative integer, got ${quantity}`);
  }
  return money(price.amountMinor * quantity, price.currency);
}

export function sum(amounts: readonly Money[], currency: string): Money {
  let total = 0;
  for (const amount of amounts) {
    if (amount.currency !== currency) {
      throw new MoneyError(`Cannot add ${amount.currency} to ${currency}`);
    }
    total += amount.amountMinor;
  }
  return money(total, currency);
}

/** Digits after the decimal point of a currency (2 when the runtime does not know the code). */
function minorDigitsOf(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

/**
 * Money as text for people, e.g. `EUR 12.34`, `JPY 500`: the minor units are split into whole and
 * fractional digits as text, without floating point.
 */
export function formatMoney(amount: Money): string {
  const digits = minorDigitsOf(amount.currency);
  const sign = amount.amountMinor < 0 ? '-' : '';
  const text = String(Math.abs(amount.amountMinor)).padStart(digits + 1, '0');
  const value = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return `${amount.currency} ${sign}${value}`;
}
