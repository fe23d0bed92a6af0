import * as z from 'zod';
import { whenValid } from './common';

/**
 * An amount of money: integer minor units (cents for EUR/USD) and an ISO 4217 currency code.
 * Floating-point amounts are rejected; all arithmetic on money is done on integers.
 */
export const MoneySchema = z
  .object({
    amountMinor: z
      .number()
      .int()
      .nonnegative()
      .refine(Number.isSafeInteger, { message: 'Must be a safe integer', ...whenValid }),
    currency: z.string().regex(/^[A-Z]{3}$/, 'Must be an ISO 4217 code (three capital letters)'),
  })
  .strict();

export type Money = z.infer<typeof MoneySchema>;
