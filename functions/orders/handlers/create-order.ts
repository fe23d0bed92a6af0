import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { monotonicFactory } from 'ulid';
import { ProductCatalog } from '#functions/catalog/products';
import { documentClient } from '#platform/clients';
import { requireEnv } from '#platform/env';
import { badRequest, HttpError } from '#platform/errors';
import { apiHandler, header, json, parseJsonBody } from '#platform/http';
import { logger, metrics } from '#platform/powertools';
import { createOrder } from '../create-order';
import { ORDER_LIMITS, parseCreateOrderRequest } from '../domain/create-order-request';

const ordersTable = requireEnv('ORDERS_TABLE_NAME');
const catalog = new ProductCatalog(documentClient, requireEnv('PRODUCTS_TABLE_NAME'));
const ulid = monotonicFactory();

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

function idempotencyKeyOf(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw badRequest('MISSING_IDEMPOTENCY_KEY', 'The Idempotency-Key header is required', [
      { path: 'headers.idempotency-key', message: 'send a unique key per order, e.g. a UUID' },
    ]);
  }
  const key = value.trim();
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw badRequest('INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header is malformed', [
      { path: 'headers.idempotency-key', message: '1-128 characters of letters, digits and . _ : -' },
    ]);
  }
  return key;
}

/** POST /orders */
export const handler = apiHandler(async (event) => {
  const idempotencyKey = idempotencyKeyOf(header(event, 'idempotency-key'));
  const body = parseJsonBody(event, { maxBytes: ORDER_LIMITS.maxBodyBytes });
  const parsed = parseCreateOrderRequest(body);
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The order request is invalid', { details: parsed.issues });
  }

  const outcome = await createOrder(
    { client: documentClient, catalog, ordersTable, clock: () => new Date(), newOrderId: () => ulid() },
    { request: parsed.value, idempotencyKey, traceHeader: process.env._X_AMZN_TRACE_ID },
  );

  logger.appendKeys({ orderId: outcome.orderId });
  metrics.addMetric(outcome.replayed ? 'IdempotentReplays' : 'OrdersCreated', MetricUnit.Count, 1);
  logger.info(outcome.replayed ? 'order request replayed' : 'order created');
  return {
    ...json(outcome.statusCode, null, {
      location: outcome.location,
      ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
    }),
    body: outcome.body,
  };
});
