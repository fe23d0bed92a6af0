import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { ListOrdersFn } from '../contract';
import { listOrders } from '../list-orders';
import { OrderStore } from '../order-store';

const store = new OrderStore(documentClient, readEnv(ListOrdersFn).ORDERS_TABLE_NAME);

/** GET /orders?limit=&cursor=: the signed-in customer's orders, newest first. */
export const handler = apiHandler(async (event) =>
  json(200, await listOrders(store, callerOf(event).sub, event)),
);
