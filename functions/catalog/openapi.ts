import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import {
  ListProductsQuerySchema,
  ProductIdSchema,
  ProductListSchema,
  type ProductView,
  ProductViewSchema,
} from './products';

/** The catalog's routes in the API's OpenAPI document (see `functions/openapi.ts`): public. */

const EXAMPLE_PRODUCT: ProductView = {
  productId: '11111111-1111-1111-1111-111111111111',
  name: 'Wireless Mouse',
  price: { amountMinor: 2999, currency: 'EUR' },
  sellerId: 'seller-peripherals',
  stock: 100,
};

export const CATALOG_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'get',
    path: '/products',
    tags: ['catalog'],
    summary: 'The catalog with prices, sellers and stock',
    access: 'public',
    request: { query: ListProductsQuerySchema },
    responses: {
      200: jsonResponse('A page of products', ProductListSchema, {
        items: [EXAMPLE_PRODUCT],
        nextCursor: null,
      }),
    },
    errors: { 400: ['INVALID_QUERY'] },
  }),
  apiRoute({
    method: 'get',
    path: '/products/{productId}',
    tags: ['catalog'],
    summary: 'One product with its price, seller and stock',
    access: 'public',
    request: { params: z.object({ productId: ProductIdSchema }) },
    responses: { 200: jsonResponse('The product', ProductViewSchema, EXAMPLE_PRODUCT) },
    errors: { 400: ['INVALID_PRODUCT_ID'], 404: ['NOT_FOUND'] },
  }),
];
