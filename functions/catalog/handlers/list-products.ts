import { StockLevels } from '#functions/inventory/stock';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest } from '#platform/errors';
import { apiHandler, json } from '#platform/http';
import { isValidParam } from '#platform/params';
import { ListProductsFn } from '../contract';
import { LIST_PRODUCTS_LIMITS, ListProductsQuerySchema, ProductCatalog, productView } from '../products';

const env = readEnv(ListProductsFn);

const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);
const stock = new StockLevels(documentClient, env.INVENTORY_TABLE_NAME);

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return LIST_PRODUCTS_LIMITS.defaultLimit;
  if (!isValidParam(ListProductsQuerySchema.shape.limit, raw)) {
    throw badRequest('INVALID_QUERY', `limit must be an integer from 1 to ${LIST_PRODUCTS_LIMITS.maxLimit}`, [
      { path: 'query.limit', message: `received "${raw}"` },
    ]);
  }
  return Number(raw);
}

function parseCursor(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    const productId = (cursor as { productId?: unknown } | null)?.productId;
    // Exactly the key a Scan returns; DynamoDB rejects any other start key with a ValidationException.
    if (
      typeof cursor === 'object' &&
      cursor !== null &&
      Object.keys(cursor).length === 1 &&
      typeof productId === 'string' &&
      productId !== ''
    ) {
      return { productId };
    }
  } catch {
    // reported below
  }
  throw badRequest('INVALID_QUERY', 'cursor is not a cursor returned by this API', [
    { path: 'query.cursor', message: 'pass nextCursor unchanged' },
  ]);
}

/** GET /products?limit=&cursor= */
export const handler = apiHandler(async (event) => {
  const query = event.queryStringParameters ?? {};
  const page = await catalog.list(parseLimit(query.limit), parseCursor(query.cursor));
  const levels = await stock.of(
    page.items.map((item) => item.productId),
    { consistent: false },
  );
  return json(200, {
    items: page.items.map((item) => productView(item, levels)),
    nextCursor: page.next ? Buffer.from(JSON.stringify(page.next)).toString('base64url') : null,
  });
});
