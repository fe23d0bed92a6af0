import { monotonicFactory } from 'ulid';
import { ProductCatalog } from '#functions/catalog/products';
import type { Identity } from '#functions/customers/model';
import { ProfileStore } from '#functions/customers/profile-store';
import { standingOf } from '#functions/customers/profiles';
import { identityOf } from '#platform/auth';
import { documentClient, dynamoDb } from '#platform/clients';
import { readEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, basePathOf, header, parseJsonBody } from '#platform/http';
import { logger, metricsOf } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { CreateOrderFn } from '../contract';
import { createOrder } from '../create-order';
import { ORDER_LIMITS, parseCreateOrderRequest } from '../domain/create-order-request';
import { acceptedResponse, idempotencyKeyOf, refusal } from '../order-http';
import { OrderStore } from '../order-store';

const env = readEnv(CreateOrderFn);
const store = new OrderStore(documentClient, env.ORDERS_TABLE_NAME);
const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);
const profiles = new ProfileStore(documentClient, env.CUSTOMERS_TABLE_NAME);
const customers = { standingOf: (identity: Identity) => standingOf(profiles, identity, new Date()) };
const count = metricsOf(CreateOrderFn.metrics);
const ulid = monotonicFactory();

await primeOnInit([dynamoDbPrimer(dynamoDb, env.ORDERS_TABLE_NAME)]);

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
  const response = acceptedResponse(result);
  count(result.replayed ? 'IdempotentReplays' : 'OrdersCreated');
  logger.info(result.replayed ? 'order request replayed' : 'order created');
  return response;
});
