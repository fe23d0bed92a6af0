import { monotonicFactory } from 'ulid';
import { ProductCatalog } from '#functions/catalog/products';
import type { Identity } from '#functions/customers/model';
import { ProfileStore } from '#functions/customers/profile-store';
import { standingOf } from '#functions/customers/profiles';
import { identityOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, HttpError } from '#platform/errors';
import { apiHandler, basePathOf, header, json, parseJsonBody } from '#platform/http';
import { isValidParam } from '#platform/params';
import { logger, metricsOf, tracer } from '#platform/powertools';
import { CreateOrderFn } from '../contract';
import { type CreateOrderResult, createOrder } from '../create-order';
import { IdempotencyKeySchema, ORDER_LIMITS, parseCreateOrderRequest } from '../domain/create-order-request';
import { OrderStore } from '../order-store';

const env = readEnv(CreateOrderFn);
const store = new OrderStore(documentClient, env.ORDERS_TABLE_NAME);
const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);
const profiles = new ProfileStore(documentClient, env.CUSTOMERS_TABLE_NAME);
const customers = { standingOf: (identity: Identity) => standingOf(profiles, identity, new Date()) };
const count = metricsOf(CreateOrderFn.metrics);
const ulid = monotonicFactory();

function idempotencyKeyOf(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw badRequest('MISSING_IDEMPOTENCY_KEY', 'The Idempotency-Key header is required', [
      { path: 'headers.idempotency-key', message: 'send a unique key per order, e.g. a UUID' },
    ]);
  }
  const key = value.trim();
  if (!isValidParam(IdempotencyKeySchema, key)) {
    throw badRequest('INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header is malformed', [
      { path: 'headers.idempotency-key', message: '1-128 characters of letters, digits and . _ : -' },
    ]);
  }
  return key;
}

/** The HTTP error for each way an order request is refused. */
function refusal(result: Exclude<CreateOrderResult, { kind: 'ACCEPTED' }>, key: string): HttpError {
  switch (result.kind) {
    case 'UNKNOWN_PRODUCTS':
      return new HttpError(422, 'UNKNOWN_PRODUCT', 'One or more products do not exist in the catalog', {
        details: result.products.map(({ productId, line }) => ({
          path: `items.${line}.productId`,
          message: `unknown product ${productId}`,
          productId,
        })),
      });
    case 'CUSTOMER_SUSPENDED':
      return new HttpError(403, 'CUSTOMER_SUSPENDED', 'The customer account is suspended: no new orders', {
        details: [{ message: 'contact customer service to have the account reinstated' }],
      });
    case 'MIXED_CURRENCIES':
      return new HttpError(422, 'MIXED_CURRENCIES', 'All products of one order must share a currency', {
        details: [{ message: `currencies: ${result.currencies.join(', ')}` }],
      });
    case 'KEY_REUSED':
      return new HttpError(
        409,
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body',
        {
          details: [
            {
              path: 'headers.idempotency-key',
              message: `use a new key for a different order (key "${key}")`,
            },
          ],
        },
      );
    case 'IN_PROGRESS':
      return new HttpError(
        409,
        'REQUEST_IN_PROGRESS',
        'Another request with this Idempotency-Key is in progress',
        {
          headers: { 'retry-after': '1' },
        },
      );
    default: {
      const unhandled: never = result;
      return unhandled;
    }
  }
}

/** POST /orders: an order of the signed-in customer (the token's subject). */
export const handler = apiHandler(async (event) => {
  const { sub, ...contact } = identityOf(event);
  const idempotencyKey = idempotencyKeyOf(header(event, 'idempotency-key'));
  const body = parseJsonBody(event, { maxBytes: ORDER_LIMITS.maxBodyBytes });
  const parsed = parseCreateOrderRequest(body);
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The order request is invalid', { details: parsed.issues });
  }

  const result = await createOrder(
    { store, catalog, customers, clock: () => new Date(), newOrderId: () => ulid() },
    {
      request: parsed.value,
      customerId: sub,
      contact,
      idempotencyKey,
      traceHeader: process.env._X_AMZN_TRACE_ID,
      basePath: basePathOf(event),
    },
  );
  if (result.kind !== 'ACCEPTED') throw refusal(result, idempotencyKey);

  // The saga starts here: the order's log lines and trace carry its correlationId from the start.
  logger.appendKeys({
    orderId: result.orderId,
    ...(result.correlationId ? { correlationId: result.correlationId } : {}),
  });
  tracer.putAnnotation('orderId', result.orderId);
  if (result.correlationId) tracer.putAnnotation('correlationId', result.correlationId);
  count(result.replayed ? 'IdempotentReplays' : 'OrdersCreated');
  logger.info(result.replayed ? 'order request replayed' : 'order created');
  return {
    ...json(result.statusCode, null, {
      location: result.location,
      ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}),
    }),
    body: result.body,
  };
});
