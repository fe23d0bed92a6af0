import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import { CreateOrderRequestSchema, IdempotencyKeySchema } from './domain/create-order-request';
import { ListOrdersQuerySchema, OrderListSchema } from './list-orders';
import { OrderIdSchema, type OrderSummaryView, type OrderView, OrderViewSchema } from './model';

/** The order service's routes in the API's OpenAPI document (see `functions/openapi.ts`). */

/** The answer of `GET /health`. */
export const HealthSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    checks: z.strictObject({
      ordersTable: z.string().describe("the table's status (`ACTIVE`, ...), or `UNREACHABLE`"),
    }),
  })
  .meta({ id: 'Health' });
export type HealthReport = z.infer<typeof HealthSchema>;

/** The answer of `GET /openapi.json`: an OpenAPI 3.1 document. */
export const OpenApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const MOUSE = '11111111-1111-1111-1111-111111111111';
const CUSTOMER = '4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f';
const AT = '2025-03-01T12:00:00.000Z';
const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

const EXAMPLE_ORDER: OrderView = {
  orderId: ORDER_ID,
  customerId: CUSTOMER,
  status: 'PENDING',
  lines: [
    {
      productId: MOUSE,
      name: 'Wireless Mouse',
      sellerId: 'seller-peripherals',
      quantity: 2,
      unitPrice: eur(2999),
      lineTotal: eur(5998),
    },
  ],
  total: eur(5998),
  payment: { method: 'card' },
  createdAt: AT,
  updatedAt: AT,
  history: [{ status: 'PENDING', at: AT, reason: 'Order placed' }],
  links: { self: `/v1/orders/${ORDER_ID}` },
};

const EXAMPLE_SUMMARY: OrderSummaryView = {
  orderId: ORDER_ID,
  status: 'CONFIRMED',
  total: eur(5998),
  createdAt: AT,
  updatedAt: AT,
  links: { self: `/v1/orders/${ORDER_ID}` },
};

export const ORDER_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'post',
    path: '/orders',
    tags: ['orders'],
    summary: 'Place an order of the signed-in customer',
    description:
      'The customer is the token subject; a body naming a customer is refused. Prices, names and sellers come from the catalog. A suspended customer is refused (403 `CUSTOMER_SUSPENDED`). The same `Idempotency-Key` of the same customer with the same body replays the original answer (header `Idempotent-Replayed: true`); with another body it is a 409. Keys live 24 hours and are scoped per customer.',
    access: 'customer',
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKeySchema }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: CreateOrderRequestSchema,
            example: {
              items: [{ productId: MOUSE, quantity: 2 }],
              payment: { method: 'card', token: 'tok_ok' },
            },
          },
        },
      },
    },
    responses: {
      202: {
        ...jsonResponse('Accepted: the order, PENDING; the saga moves it on', OrderViewSchema, EXAMPLE_ORDER),
        headers: z.object({
          Location: z.string().describe('the path of the order'),
          'Idempotent-Replayed': z.literal('true').optional().describe('set on a replayed answer'),
        }),
      },
    },
    errors: {
      400: [
        'MISSING_PARAMETER',
        'MISSING_IDEMPOTENCY_KEY',
        'INVALID_IDEMPOTENCY_KEY',
        'MALFORMED_JSON',
        'VALIDATION_FAILED',
      ],
      403: ['CUSTOMER_SUSPENDED'],
      409: ['IDEMPOTENCY_KEY_REUSED', 'REQUEST_IN_PROGRESS'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
      422: ['UNKNOWN_PRODUCT', 'MIXED_CURRENCIES'],
    },
  }),
  apiRoute({
    method: 'get',
    path: '/orders',
    tags: ['orders'],
    summary: "The signed-in customer's orders, newest first",
    access: 'customer',
    request: { query: ListOrdersQuerySchema },
    responses: {
      200: jsonResponse('A page of orders', OrderListSchema, { items: [EXAMPLE_SUMMARY], nextCursor: null }),
    },
    errors: { 400: ['INVALID_QUERY'] },
  }),
  apiRoute({
    method: 'get',
    path: '/orders/{orderId}',
    tags: ['orders'],
    summary: 'One order of the signed-in customer, with its history',
    description: "Another customer's order is answered exactly like an unknown id (404).",
    access: 'customer',
    request: { params: z.object({ orderId: OrderIdSchema }) },
    responses: { 200: jsonResponse('The order', OrderViewSchema, EXAMPLE_ORDER) },
    errors: { 400: ['INVALID_ORDER_ID'], 404: ['NOT_FOUND'] },
  }),
  apiRoute({
    method: 'get',
    path: '/health',
    tags: ['operations'],
    summary: 'Whether the function runs and its table answers',
    access: 'public',
    responses: {
      200: jsonResponse('Healthy', HealthSchema, { status: 'ok', checks: { ordersTable: 'ACTIVE' } }),
      503: jsonResponse('Degraded', HealthSchema, {
        status: 'degraded',
        checks: { ordersTable: 'UNREACHABLE' },
      }),
    },
  }),
  apiRoute({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This document',
    access: 'public',
    responses: {
      200: {
        description: 'The OpenAPI 3.1 document of the API',
        content: { 'application/json': { schema: OpenApiDocumentSchema } },
      },
    },
  }),
];
