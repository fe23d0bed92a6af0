import { randomUUID } from 'node:crypto';
import { requireAdmin } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, json, parseJsonBody } from '#platform/http';
import { logger } from '#platform/powertools';
import { CreateProductFn } from '../contract';
import { CreateProductRequestSchema, ProductCatalog, type ProductItem, productView } from '../products';

const MAX_BODY_BYTES = 8192;
const catalog = new ProductCatalog(documentClient, readEnv(CreateProductFn).PRODUCTS_TABLE_NAME);

/**
 * POST /admin/products (admins only): adds a product to the catalog; `GET /products/{id}` shows it at
 * once, with stock 0 until the inventory's `PUT /admin/products/{productId}/stock` sets it. 201 with the
 * product; 409 when the id exists; 400 for a bad body; nothing is written on an error.
 */
export const handler = apiHandler(async (event) => {
  const admin = requireAdmin(event);
  const parsed = CreateProductRequestSchema.safeParse(parseJsonBody(event, { maxBytes: MAX_BODY_BYTES }));
  if (!parsed.success) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The product is invalid', {
      details: parsed.error.issues.map((issue) => ({
        path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.'),
        message:
          issue.code === 'unrecognized_keys'
            ? 'only productId, name, description, price and sellerId are accepted'
            : issue.message,
      })),
    });
  }
  const { productId = randomUUID(), name, description, price, sellerId } = parsed.data;
  const item: ProductItem = {
    productId,
    name,
    priceMinor: price.amountMinor,
    currency: price.currency,
    sellerId,
    ...(description ? { description } : {}),
  };
  const created = await catalog.create({
    ...item,
    createdAt: new Date().toISOString(),
    createdBy: admin.name,
  });
  if (!created) throw new HttpError(409, 'PRODUCT_EXISTS', `Product ${productId} already exists`);
  logger.info('product added', { productId, createdBy: admin.name });
  return json(201, productView(item, new Map()));
});
