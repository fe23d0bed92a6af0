import { z } from 'zod';

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
