import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import {
  CreateProductRequestSchema,
  ListProductsQuerySchema,
  ProductIdSchema,
  ProductListSchema,
  type ProductView,
  ProductViewSchema,
} from './products';

/**
 * The catalog's routes in the API's OpenAPI document (see `functions/openapi.ts`): public reads, and
 * the back office's new products.
 */

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
  apiRoute({
    method: 'post',
    path: '/admin/products',
    tags: ['back office'],
    summary: 'Add a product to the catalog',
    description:
      "`GET /products/{productId}` shows the product at once, with stock 0: its stock is the inventory service's, set with `PUT /admin/products/{productId}/stock`. The id is a new UUID unless `productId` is given; an id that exists is a 409 and nothing is written.",
    access: 'admin',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: CreateProductRequestSchema,
            example: {
              name: 'Laptop Stand',
              description: 'Aluminium, adjustable height',
              price: { amountMinor: 4999, currency: 'EUR' },
              sellerId: 'seller-peripherals',
            },
          },
        },
      },
    },
    responses: {
      201: jsonResponse('The new product (stock 0)', ProductViewSchema, {
        productId: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
        name: 'Laptop Stand',
        price: { amountMinor: 4999, currency: 'EUR' },
        sellerId: 'seller-peripherals',
        description: 'Aluminium, adjustable height',
        stock: 0,
      }),
    },
    errors: {
      400: ['MALFORMED_JSON', 'VALIDATION_FAILED'],
      409: ['PRODUCT_EXISTS'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
    },
  }),
];
