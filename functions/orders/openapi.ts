import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import { CancelOrderRequestSchema } from './cancel-order';
import {
  CartProductIdSchema,
  type CartView,
  CartViewSchema,
  CheckoutRequestSchema,
  SetCartItemRequestSchema,
} from './cart-model';
import { CART_LIMITS } from './domain/cart';
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

const HUB = '33333333-3333-3333-3333-333333333333';

const EXAMPLE_CART: CartView = {
  items: [
    { productId: MOUSE, name: 'Wireless Mouse', quantity: 2, unitPrice: eur(2999), lineTotal: eur(5998) },
    { productId: HUB, name: 'USB-C Hub', quantity: 1, unitPrice: eur(4599), lineTotal: eur(4599) },
  ],
  total: eur(10597),
  itemCount: 3,
  updatedAt: AT,
};

const EMPTY_CART: CartView = { items: [], total: null, itemCount: 0, updatedAt: null };

/** The 202 of a call that places an order (`POST /orders`, `POST /cart/checkout`). */
const orderAccepted = (description: string) => ({
  ...jsonResponse(description, OrderViewSchema, EXAMPLE_ORDER),
  headers: z.object({
    Location: z.string().describe('the path of the order'),
    'Idempotent-Replayed': z.literal('true').optional().describe('set on a replayed answer'),
  }),
});

/** The 400 codes of a call that places an order: its Idempotency-Key and its body. */
const PLACE_ORDER_BAD_REQUESTS = [
  'MISSING_PARAMETER',
  'MISSING_IDEMPOTENCY_KEY',
  'INVALID_IDEMPOTENCY_KEY',
  'MALFORMED_JSON',
  'VALIDATION_FAILED',
] as const;

/** The cart's routes: the signed-in customer's own cart, keyed by the token's subject. */
export const CART_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'get',
    path: '/cart',
    tags: ['cart'],
    summary: "The signed-in customer's cart, priced from the catalog now",
    description:
      "The cart belongs to the token subject; no request names a customer, so no one reaches another customer's cart. Unit prices are the catalog's at the time of the request (a checkout prices again). A customer who never filled a cart, or emptied it, gets an empty cart (200).",
    access: 'customer',
    responses: {
      200: {
        description: 'The cart (possibly empty)',
        content: {
          'application/json': {
            schema: CartViewSchema,
            examples: { filled: { value: EXAMPLE_CART }, empty: { value: EMPTY_CART } },
          },
        },
      },
    },
  }),
  apiRoute({
    method: 'put',
    path: '/cart/items/{productId}',
    tags: ['cart'],
    summary: 'Set the quantity of a product in the cart (0 removes it)',
    description: `Adds the line, changes its quantity, or removes it with 0 (removing a line the cart does not hold changes nothing). Quantities go from 0 to ${CART_LIMITS.maxQuantity} and a cart holds at most ${CART_LIMITS.maxLines} products, the limits of one order. The product must be in the catalog (404 \`PRODUCT_NOT_FOUND\`) and share the currency of the cart's other products. Answers the cart after the change. A refused request writes nothing.`,
    access: 'customer',
    request: {
      params: z.object({ productId: CartProductIdSchema }),
      body: {
        required: true,
        content: { 'application/json': { schema: SetCartItemRequestSchema, example: { quantity: 2 } } },
      },
    },
    responses: { 200: jsonResponse('The cart after the change', CartViewSchema, EXAMPLE_CART) },
    errors: {
      400: ['INVALID_PRODUCT_ID', 'MALFORMED_JSON', 'VALIDATION_FAILED'],
      404: ['PRODUCT_NOT_FOUND'],
      409: ['CART_CHANGED'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
      422: ['CART_FULL', 'MIXED_CURRENCIES'],
    },
  }),
  apiRoute({
    method: 'delete',
    path: '/cart',
    tags: ['cart'],
    summary: 'Empty the cart',
    description: 'Removes every line; emptying an empty cart is answered alike.',
    access: 'customer',
    responses: { 204: { description: 'The cart is empty' } },
  }),
  apiRoute({
    method: 'post',
    path: '/cart/checkout',
    tags: ['cart'],
    summary: 'Check the cart out: it becomes an order',
    description:
      "The order is placed exactly as `POST /orders` places it, from the cart's lines with the catalog's prices now: 202 with the PENDING order and `Location`, OrderCreated starts the saga, a suspended customer is refused (403 `CUSTOMER_SUSPENDED`). The order, its `Idempotency-Key` record and the cart's deletion are one transaction, conditioned on the cart's version: a cart changed meanwhile is a 409 `CART_CHANGED` and nothing is written. The same key with the same body replays the original answer (header `Idempotent-Replayed: true`) while the cart is empty (the checkout emptied it) or holds the same lines; with another body, or with a cart that holds other lines since, it is a 409 `IDEMPOTENCY_KEY_REUSED`. An empty cart is a 422 `CART_EMPTY`. Keys are shared with `POST /orders`: one key places one order.",
    access: 'customer',
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKeySchema }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: CheckoutRequestSchema,
            example: { payment: { method: 'card', token: 'tok_ok' } },
          },
        },
      },
    },
    responses: {
      202: orderAccepted('Accepted: the order, PENDING; the cart is empty'),
    },
    errors: {
      400: PLACE_ORDER_BAD_REQUESTS,
      403: ['CUSTOMER_SUSPENDED'],
      409: ['IDEMPOTENCY_KEY_REUSED', 'REQUEST_IN_PROGRESS', 'CART_CHANGED'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
      422: ['CART_EMPTY', 'UNKNOWN_PRODUCT', 'MIXED_CURRENCIES'],
    },
  }),
];

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
      202: orderAccepted('Accepted: the order, PENDING; the saga moves it on'),
    },
    errors: {
      400: PLACE_ORDER_BAD_REQUESTS,
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
