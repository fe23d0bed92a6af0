import { monotonicFactory } from 'ulid';
import { ProductCatalog } from '#functions/catalog/products';
import type { Identity } from '#functions/customers/model';
import { ProfileStore } from '#functions/customers/profile-store';
import { standingOf } from '#functions/customers/profiles';
import { identityOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, basePathOf, header, parseJsonBody } from '#platform/http';
import { logger, metricsOf } from '#platform/powertools';
import { checkout } from '../cart';
import { CheckoutRequestSchema } from '../cart-model';
import { CartStore } from '../cart-store';
import { CheckoutFn } from '../contract';
import { CART_LIMITS } from '../domain/cart';
import { parseRequest } from '../domain/create-order-request';
import { acceptedResponse, idempotencyKeyOf, refusal } from '../order-http';
import { OrderStore } from '../order-store';

const env = readEnv(CheckoutFn);
const store = new OrderStore(documentClient, env.ORDERS_TABLE_NAME);
const carts = new CartStore(documentClient, env.ORDERS_TABLE_NAME);
const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);
const profiles = new ProfileStore(documentClient, env.CUSTOMERS_TABLE_NAME);
const customers = { standingOf: (identity: Identity) => standingOf(profiles, identity, new Date()) };
const count = metricsOf(CheckoutFn.metrics);
const ulid = monotonicFactory();

/**
 * POST /cart/checkout `{ "payment": ... }` with an `Idempotency-Key`: the caller's cart becomes an
 * order, answered like POST /orders (202, `Location`, replays), and is cleared in the order's
 * transaction. An empty cart is a 422 CART_EMPTY, a cart changed meanwhile a 409 CART_CHANGED.
 */
export const handler = apiHandler(async (event) => {
  const { sub, ...contact } = identityOf(event);
  const idempotencyKey = idempotencyKeyOf(header(event, 'idempotency-key'));
  const parsed = parseRequest(
    CheckoutRequestSchema,
    parseJsonBody(event, { maxBytes: CART_LIMITS.maxBodyBytes }),
  );
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The checkout is invalid', { details: parsed.issues });
  }
  const result = await checkout(
    { store, carts, catalog, customers, clock: () => new Date(), newOrderId: () => ulid() },
    {
      request: parsed.value,
      customerId: sub,
      contact,
      idempotencyKey,
      traceHeader: process.env._X_AMZN_TRACE_ID,
      basePath: basePathOf(event),
    },
  );
  if (result.kind === 'CART_EMPTY') {
    throw new HttpError(422, 'CART_EMPTY', 'The cart is empty: there is nothing to check out', {
      details: [{ path: 'cart', message: 'add products with PUT /cart/items/{productId} first' }],
    });
  }
  if (result.kind !== 'ACCEPTED')
    throw refusal(result, idempotencyKey, (line) => `cart.items.${line}.productId`);

  const response = acceptedResponse(result);
  count(result.replayed ? 'IdempotentReplays' : 'OrdersCreated');
  logger.info(result.replayed ? 'checkout replayed' : 'cart checked out');
  return response;
});
