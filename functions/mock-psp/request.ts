import * as z from 'zod';
import { IdSchema, MoneySchema } from '#events';
import type { AuthorizationBody } from './model';

const AuthorizationBodySchema = z
  .object({
    paymentId: IdSchema,
    amount: MoneySchema,
    token: z.string().min(1).max(512),
    splits: z
      .array(z.object({ sellerId: IdSchema, amount: MoneySchema }).strict())
      .min(1)
      .max(50),
  })
  .strict();

export type ParsedAuthorization =
  | { ok: true; value: AuthorizationBody }
  | { ok: false; issues: { path: string; message: string }[] };

/** Validates the body of POST /psp/payments. */
export function parseAuthorizationBody(body: unknown): ParsedAuthorization {
  const result = AuthorizationBodySchema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  };
}
