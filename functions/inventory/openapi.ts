import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { ProductIdSchema } from '#functions/catalog/products';
import { apiRoute, jsonResponse } from '#platform/openapi';
import {
  StockAdjustmentRequestSchema,
  type StockAdjustmentView,
  StockAdjustmentViewSchema,
} from './adjustments';

/** The inventory service's routes in the API's OpenAPI document (see `functions/openapi.ts`). */

const EXAMPLE_RESULT: StockAdjustmentView = {
  productId: '44444444-4444-4444-4444-444444444444',
  stock: 25,
  stockBefore: 5,
  adjustmentId: '01JN8T2B7Q4W6E8R0T2Y4V6J8P',
  adjustedBy: 'admin@example.com',
  adjustedAt: '2025-03-01T13:00:00.000Z',
};

export const INVENTORY_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'put',
    path: '/admin/products/{productId}/stock',
    tags: ['back office'],
    summary: "Set or add to a product's stock",
    description:
      'Exactly one of `set` (the new stock, ≥ 0) and `add` (units to add, not 0; negative takes units away, but the stock must not go below zero). With `expectedStock`, the change applies only while the stock is that number. The change, an audit record (who, when, before and after, the reason) and a `StockAdjusted` event on `inventory.events` are written together; `GET /products/{productId}` shows the new stock at once. A product of the catalog without stock (one added with `POST /admin/products`) starts at 0; a product not in the catalog is a 404. A 409 carries the current stock in `details[0].currentStock`; no error writes anything.',
    access: 'admin',
    request: {
      params: z.object({ productId: ProductIdSchema }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: StockAdjustmentRequestSchema,
            examples: {
              restock: {
                summary: 'a delivery of 20 units',
                value: { add: 20, reason: 'delivery from the seller' },
              },
              count: {
                summary: 'a count correction',
                value: { set: 12, expectedStock: 10, reason: 'stock count' },
              },
            },
          },
        },
      },
    },
    responses: { 200: jsonResponse('The stock after the change', StockAdjustmentViewSchema, EXAMPLE_RESULT) },
    errors: {
      400: ['INVALID_PRODUCT_ID', 'MALFORMED_JSON', 'VALIDATION_FAILED'],
      404: ['NOT_FOUND'],
      409: ['STOCK_MISMATCH', 'STOCK_WOULD_BE_NEGATIVE'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
    },
  }),
];
