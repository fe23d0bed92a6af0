import { ProductCatalog } from '#functions/catalog/products';
import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { viewCart } from '../cart';
import { CartStore } from '../cart-store';
import { GetCartFn } from '../contract';

const env = readEnv(GetCartFn);
const carts = new CartStore(documentClient, env.ORDERS_TABLE_NAME);
const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);

/** GET /cart: the caller's cart (the token's subject), priced from the catalog; an empty cart is a 200. */
export const handler = apiHandler(async (event) => {
  const { sub } = callerOf(event);
  return json(200, await viewCart({ carts, catalog, clock: () => new Date() }, sub));
});
