import { ProductCatalog, ProductIdSchema } from '#functions/catalog/products';
import { requireAdmin } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, HttpError } from '#platform/errors';
import { apiHandler, json, parseJsonBody } from '#platform/http';
import { isValidParam } from '#platform/params';
import { logger } from '#platform/powertools';
import {
  STOCK_ADJUSTMENT_LIMITS,
  StockAdjustmentConflictError,
  StockAdjustmentContendedError,
  StockAdjustmentRequestSchema,
  StockAdjustments,
  UnknownStockError,
} from '../adjustments';
import { AdjustStockFn } from '../contract';

const env = readEnv(AdjustStockFn);
const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);
const adjustments = new StockAdjustments(
  documentClient,
  env.INVENTORY_TABLE_NAME,
  async (productId) => (await catalog.get(productId)) !== undefined,
);

/**
 * PUT /admin/products/{productId}/stock (admins only): `{"set": n}` or `{"add": n}`, optionally with
 * `expectedStock` and `reason`. 200 with the new stock; 404 for a product neither in stock nor in the
 * catalog (a catalog product without stock starts at 0); 409 with the
 * current stock when the expected stock differs or the stock would go below zero; nothing is written
 * on any error.
 */
export const handler = apiHandler(async (event) => {
  const admin = requireAdmin(event);
  const productId = event.pathParameters?.productId ?? '';
  if (!isValidParam(ProductIdSchema, productId)) {
    throw badRequest('INVALID_PRODUCT_ID', 'The product id is malformed', [
      { path: 'path.productId', message: 'a product id is 1-64 letters, digits and . _ : @ -' },
    ]);
  }
  const parsed = StockAdjustmentRequestSchema.safeParse(
    parseJsonBody(event, { maxBytes: STOCK_ADJUSTMENT_LIMITS.maxBodyBytes }),
  );
  if (!parsed.success) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The stock adjustment is invalid', {
      details: parsed.error.issues.map((issue) => ({
        path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.'),
        message:
          issue.code === 'unrecognized_keys'
            ? 'only set, add, expectedStock and reason are accepted'
            : issue.message,
      })),
    });
  }
  try {
    const result = await adjustments.adjust({
      productId,
      request: parsed.data,
      admin: { sub: admin.sub, name: admin.name },
      now: new Date(),
    });
    logger.info('stock adjusted', {
      productId,
      adjustmentId: result.adjustmentId,
      stockBefore: result.stockBefore,
      stock: result.stock,
      adjustedBy: admin.name,
    });
    return json(200, result);
  } catch (error) {
    if (error instanceof UnknownStockError) {
      throw new HttpError(404, 'NOT_FOUND', `Product ${productId} does not exist`, { cause: error });
    }
    if (error instanceof StockAdjustmentConflictError) {
      throw new HttpError(409, error.code, error.message, {
        details: [{ path: 'stock', message: 'the current stock', currentStock: error.currentStock }],
        cause: error,
      });
    }
    if (error instanceof StockAdjustmentContendedError) {
      throw new HttpError(
        409,
        'STOCK_MISMATCH',
        'The stock changed during the adjustment; read it and retry',
        {
          cause: error,
        },
      );
    }
    throw error;
  }
});
