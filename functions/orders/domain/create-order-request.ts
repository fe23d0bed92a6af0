import * as z from 'zod';

/** Limits that keep one order within sane bounds; prices and stock come from the catalog. */
export const ORDER_LIMITS = {
  maxLines: 50,
  maxQuantityPerLine: 1000,
  maxBodyBytes: 16 * 1024,
} as const;

/** The `Idempotency-Key` header of `POST /orders`: one key per order the client means to place. */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/)
  .describe('a unique key per order, e.g. a UUID: 1-128 characters of letters, digits and . _ : -');

const id = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(64, `${what} must be at most 64 characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, `${what} may contain letters, digits and . _ : @ - only`);

const LineSchema = z.strictObject(
  {
    productId: id('productId'),
    quantity: z
      .number({ error: 'quantity must be a number' })
      .int('quantity must be a whole number')
      .min(1, 'quantity must be at least 1')
      .max(ORDER_LIMITS.maxQuantityPerLine, `quantity must be at most ${ORDER_LIMITS.maxQuantityPerLine}`),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? pricesFromCatalog(issue.keys) : undefined) },
);

function pricesFromCatalog(keys: readonly string[]): string {
  return `unknown field(s) ${keys.join(', ')}; prices and names come from the catalog`;
}

/** How an order is paid: a card token of the PSP (`POST /orders`, `POST /cart/checkout`). */
export const PaymentSchema = z.strictObject({
  method: z.literal('card', { error: 'payment.method must be "card"' }),
  token: z
    .string({ error: 'payment.token must be a string' })
    .regex(/^tok_[A-Za-z0-9_]{1,60}$/, 'payment.token must be a PSP token such as tok_ok'),
});

/** A body naming a customer is refused: an order belongs to the signed-in caller (the token's subject). */
const CUSTOMER_FIELD_MESSAGE = 'customerId is not accepted: an order belongs to the signed-in customer';

export const CreateOrderRequestSchema = z.strictObject(
  {
    items: z
      .array(LineSchema, { error: 'items must be an array' })
      .min(1, 'items must contain at least one line')
      .max(ORDER_LIMITS.maxLines, `items must contain at most ${ORDER_LIMITS.maxLines} lines`)
      .superRefine((lines, ctx) => {
        const seen = new Set<string>();
        lines.forEach((line, index) => {
          if (seen.has(line.productId)) {
            ctx.addIssue({
              code: 'custom',
              path: [index, 'productId'],
              message: `productId ${line.productId} appears more than once; combine the quantities in one line`,
            });
          }
          seen.add(line.productId);
        });
      }),
    payment: PaymentSchema,
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' && issue.keys.includes('customerId')
        ? CUSTOMER_FIELD_MESSAGE
        : undefined,
  },
);

export type CreateOrderRequest = z.infer<typeof CreateOrderRequestSchema>;

export type ValidationIssue = {
  path: string;
  message: string;
};

export type ParseRequestResult =
  | { ok: true; value: CreateOrderRequest }
  | { ok: false; issues: ValidationIssue[] };

/**
 * A JSON body (already parsed) checked against `schema`: the value, or every issue with its path
 * (`pathOf` may name another path for an issue, e.g. the field a message is about).
 */
export function parseRequest<T>(
  schema: z.ZodType<T>,
  body: unknown,
  pathOf: (issue: z.core.$ZodIssue) => string = (issue) => issue.path.map(String).join('.'),
): { ok: true; value: T } | { ok: false; issues: ValidationIssue[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'body must be a JSON object' }] };
  }
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({ path: pathOf(issue), message: issue.message })),
  };
}

export function parseCreateOrderRequest(body: unknown): ParseRequestResult {
  return parseRequest(CreateOrderRequestSchema, body, (issue) =>
    issue.message === CUSTOMER_FIELD_MESSAGE ? 'customerId' : issue.path.map(String).join('.'),
  );
}
