import { ProductCatalog } from '#functions/catalog/products';
import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, HttpError } from '#platform/errors';
import { apiHandler, json, parseJsonBody } from '#platform/http';
import { isValidParam } from '#platform/params';
import { CartBusyError, setCartItem } from '../cart';
import { CartProductIdSchema, SetCartItemRequestSchema } from '../cart-model';
import { CartStore } from '../cart-store';
import { SetCartItemFn } from '../contract';
import { CART_LIMITS } from '../domain/cart';
import { parseRequest } from '../domain/create-order-request';

const env = readEnv(SetCartItemFn);
const carts = new CartStore(documentClient, env.ORDERS_TABLE_NAME);
const catalog = new ProductCatalog(documentClient, env.PRODUCTS_TABLE_NAME);

/**
 * PUT /cart/items/{productId} `{ "quantity": n }`: sets the quantity of a catalog product in the
 * caller's cart, 0 removes the line; 200 with the cart. An unknown product is a 404, a new line over
 * the cart's limit a 422; a refused request writes nothing.
 */
export const handler = apiHandler(async (event) => {
  const { sub } = callerOf(event);
  const productId = event.pathParameters?.productId ?? '';
  if (!isValidParam(CartProductIdSchema, productId)) {
    throw badRequest('INVALID_PRODUCT_ID', 'The product id is malformed', [
      { path: 'path.productId', message: '1-64 characters of letters, digits and . _ : @ -' },
    ]);
  }
  const parsed = parseRequest(
    SetCartItemRequestSchema,
    parseJsonBody(event, { maxBytes: CART_LIMITS.maxBodyBytes }),
  );
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The cart change is invalid', { details: parsed.issues });
  }
  let result: Awaited<ReturnType<typeof setCartItem>>;
  try {
    result = await setCartItem(
      { carts, catalog, clock: () => new Date() },
      { customerId: sub, productId, quantity: parsed.value.quantity },
    );
  } catch (error) {
    if (error instanceof CartBusyError) {
      throw new HttpError(409, 'CART_CHANGED', 'The cart kept changing; send the change again', {
        cause: error,
        headers: { 'retry-after': '1' },
      });
    }
    throw error;
  }
  switch (result.kind) {
    case 'SAVED':
      return json(200, result.cart);
    case 'UNKNOWN_PRODUCT':
      throw new HttpError(404, 'PRODUCT_NOT_FOUND', `Product ${productId} is not in the catalog`, {
        details: [{ path: 'path.productId', message: `unknown product ${productId}`, productId }],
      });
    case 'TOO_MANY_LINES':
      throw new HttpError(422, 'CART_FULL', `A cart holds at most ${result.maxLines} products`, {
        details: [{ path: 'path.productId', message: 'check the cart out, or remove a line first' }],
      });
    case 'MIXED_CURRENCIES':
      throw new HttpError(422, 'MIXED_CURRENCIES', 'All products of one order must share a currency', {
        details: [{ message: `currencies: ${result.currencies.join(', ')}` }],
      });
    default: {
      const unhandled: never = result;
      throw new Error(`Unhandled cart result ${JSON.stringify(unhandled)}`);
    }
  }
});
