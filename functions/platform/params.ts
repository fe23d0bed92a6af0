import * as z from 'zod';

/**
 * Schemas of the text parameters of API requests (path, query, headers): the handlers validate with
 * them, and the OpenAPI document describes the parameters from them.
 */

/** A whole number from `min` to `max`, written in decimal digits only. */
export const wholeNumberParam = (min: number, max: number) =>
  z.string().regex(/^\d+$/).pipe(z.coerce.number<string>().int().min(min).max(max));

/** The opaque page cursor of a list: `nextCursor` of the previous page, passed unchanged. */
export const cursorParam = () => z.string().describe('`nextCursor` of the previous page, unchanged');

/** A page of a list: its items and the cursor of the next page (null on the last page). */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe('pass it as `cursor` for the next page; null on the last page'),
  });

/** Whether the text `raw` is valid for `schema`. */
export const isValidParam = (schema: z.ZodType, raw: string): boolean => schema.safeParse(raw).success;

/** `nextCursor` of a page: the key the page ended at, as opaque text. */
export const encodeCursor = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * The key `raw` (a `nextCursor` this API returned) stands for, or undefined when it is not one: exactly
 * `fields`, each a string, and accepted by `belongs` (e.g. it points into the caller's own list).
 */
export function decodeCursor(
  raw: string,
  fields: readonly string[],
  belongs: (cursor: Record<string, unknown>) => boolean,
): Record<string, unknown> | undefined {
  try {
    const cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (typeof cursor !== 'object' || cursor === null || Array.isArray(cursor)) return undefined;
    const key = cursor as Record<string, unknown>;
    const wellFormed =
      Object.keys(key).length === fields.length &&
      fields.every((field) => typeof key[field] === 'string') &&
      belongs(key);
    return wellFormed ? key : undefined;
  } catch {
    return undefined;
  }
}
