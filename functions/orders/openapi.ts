import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import { CancelOrderRequestSchema } from './cancel-order';
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

const CANCELLED_AT = '2025-03-01T12:01:00.000Z';

const EXAMPLE_CANCELLED: OrderView = {
  ...EXAMPLE_ORDER,
  status: 'CANCELLED',
  updatedAt: CANCELLED_AT,
  history: [
    ...EXAMPLE_ORDER.history,
    { status: 'CANCELLED', at: CANCELLED_AT, reason: 'Cancelled by the customer: ordered the wrong size' },
  ],
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
    method: 'post',
    path: '/orders/{orderId}/cancel',
    tags: ['orders'],
    summary: 'Cancel an order of the signed-in customer',
    description:
      "Allowed until the order ships (PENDING, STOCK_RESERVED, PAYMENT_PENDING, CONFIRMED). The cancellation and its compensations (release of reserved stock, void or refund of the payment) are written in one conditional update with `OrderCancelled` (reason `CUSTOMER_REQUEST`, the body's reason as its detail); a reservation or payment still in flight is compensated when it arrives, and the shipping service cancels a parcel the carrier has not picked up. An order cancelled already is answered with 200 and the order, nothing written. A SHIPPED or DELIVERED order is not cancellable (409 `ORDER_NOT_CANCELLABLE`, its status in the details). Another customer's order is answered exactly like an unknown id (404). The body is optional.",
    access: 'customer',
    request: {
      params: z.object({ orderId: OrderIdSchema }),
      body: {
        required: false,
        content: {
          'application/json': {
            schema: CancelOrderRequestSchema,
            example: { reason: 'ordered the wrong size' },
          },
        },
      },
    },
    responses: {
      202: jsonResponse(
        'Accepted: the order, CANCELLED; its stock and payment are given back',
        OrderViewSchema,
        EXAMPLE_CANCELLED,
      ),
      200: jsonResponse(
        'The order was cancelled already; nothing changed',
        OrderViewSchema,
        EXAMPLE_CANCELLED,
      ),
    },
    errors: {
      400: ['INVALID_ORDER_ID', 'MALFORMED_JSON', 'VALIDATION_FAILED'],
      404: ['NOT_FOUND'],
      409: ['ORDER_NOT_CANCELLABLE', 'ORDER_BUSY'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
    },
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
