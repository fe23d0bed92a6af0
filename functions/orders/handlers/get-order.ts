import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, notFound } from '#platform/errors';
import { apiHandler, basePathOf, json } from '#platform/http';
import { isValidParam } from '#platform/params';
import { GetOrderFn } from '../contract';
import { OrderIdSchema, orderView } from '../model';
import { OrderStore } from '../order-store';

const store = new OrderStore(documentClient, readEnv(GetOrderFn).ORDERS_TABLE_NAME);

/**
 * GET /orders/{orderId}: the caller's own order. Another customer's order is answered exactly like
 * an unknown id (404), so order ids reveal nothing about other customers.
 */
export const handler = apiHandler(async (event) => {
  const caller = callerOf(event);
  const orderId = event.pathParameters?.orderId ?? '';
  if (!isValidParam(OrderIdSchema, orderId)) {
    throw badRequest('INVALID_ORDER_ID', 'The order id is malformed', [
      { path: 'path.orderId', message: 'an order id is a 26-character ULID' },
    ]);
  }
  const order = await store.get(orderId, { consistent: false });
  if (!order || order.customerId !== caller.sub) throw notFound(`Order ${orderId} does not exist`);
  return json(200, orderView(order, basePathOf(event)));
});
