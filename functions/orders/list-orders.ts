import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { badRequest } from '#platform/errors';
import { basePathOf } from '#platform/http';
import {
  cursorParam,
  decodeCursor,
  encodeCursor,
  isValidParam,
  pageSchema,
  wholeNumberParam,
} from '#platform/params';
import { OrderSummaryViewSchema, orderSummaryView } from './model';
import type { OrderStore } from './order-store';

export const LIST_ORDERS_LIMITS = { defaultLimit: 20, maxLimit: 100 } as const;

/** The query of `GET /orders`. */
export const ListOrdersQuerySchema = z.object({
  limit: wholeNumberParam(1, LIST_ORDERS_LIMITS.maxLimit)
    .optional()
    .describe(
      `orders per page, 1 to ${LIST_ORDERS_LIMITS.maxLimit} (default ${LIST_ORDERS_LIMITS.defaultLimit})`,
    ),
  cursor: cursorParam().optional(),
});

/** A page of `GET /orders`. */
export const OrderListSchema = pageSchema(OrderSummaryViewSchema);

/** The index position a page ended at: the index keys and the table keys of the last order. */
const CURSOR_FIELDS = ['pk', 'sk', 'customerId', 'createdAt'] as const;

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return LIST_ORDERS_LIMITS.defaultLimit;
  if (!isValidParam(ListOrdersQuerySchema.shape.limit, raw)) {
    throw badRequest('INVALID_QUERY', `limit must be an integer from 1 to ${LIST_ORDERS_LIMITS.maxLimit}`, [
      { path: 'query.limit', message: `received "${raw}"` },
    ]);
  }
  return Number(raw);
}

/**
 * The opaque cursor of `nextCursor`: accepted only when it is well formed and points into the
 * caller's own orders, so a cursor can never page through another customer's list.
 */
function parseCursor(raw: string | undefined, customerId: string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  const cursor = decodeCursor(
    raw,
    CURSOR_FIELDS,
    (key) => key.customerId === customerId && String(key.pk).startsWith('ORDER#'),
  );
  if (cursor) return cursor;
  throw badRequest('INVALID_QUERY', 'cursor is not a cursor returned by this API', [
    { path: 'query.cursor', message: 'pass nextCursor unchanged' },
  ]);
}

/** GET /orders?limit=&cursor=: the customer's own orders, newest first. */
export async function listOrders(
  store: OrderStore,
  customerId: string,
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'path' | 'requestContext'>,
): Promise<z.infer<typeof OrderListSchema>> {
  const query = event.queryStringParameters ?? {};
  const limit = parseLimit(query.limit);
  const cursor = parseCursor(query.cursor, customerId);
  const page = await store.listByCustomer(customerId, limit, cursor);
  return {
    items: page.items.map((item) => orderSummaryView(item, basePathOf(event))),
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
}
