import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler } from '#platform/http';
import { CartStore } from '../cart-store';
import { ClearCartFn } from '../contract';

const carts = new CartStore(documentClient, readEnv(ClearCartFn).ORDERS_TABLE_NAME);

/** DELETE /cart: empties the caller's cart; 204 whether it held anything or not. */
export const handler = apiHandler(async (event) => {
  const { sub } = callerOf(event);
  await carts.clear(sub);
  return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
});
