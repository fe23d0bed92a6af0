import { badRequest, HttpError } from '#platform/errors';
import { json } from '#platform/http';
import { isValidParam } from '#platform/params';
import { logger, tracer } from '#platform/powertools';
import type { CreateOrderResult } from './create-order';
import { IdempotencyKeySchema } from './domain/create-order-request';
import type { Accepted } from './place-order';

/** What `POST /orders` and `POST /cart/checkout` answer alike: the key header, refusals, the 202. */

/** The `Idempotency-Key` header: required, 1-128 safe characters. */
export function idempotencyKeyOf(value: string | undefined): string {
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

/**
 * The HTTP error for each way an order request is refused. `linePath` names a line of the request in
 * the details (`items.0.productId` for POST /orders, `cart.items.0.productId` for a checkout).
 */
export function refusal(
  result: Exclude<CreateOrderResult, Accepted>,
  key: string,
  linePath: (line: number) => string = (line) => `items.${line}.productId`,
): HttpError {
  switch (result.kind) {
    case 'UNKNOWN_PRODUCTS':
      return new HttpError(422, 'UNKNOWN_PRODUCT', 'One or more products do not exist in the catalog', {
        details: result.products.map(({ productId, line }) => ({
          path: linePath(line),
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
    case 'CART_CHANGED':
      return new HttpError(
        409,
        'CART_CHANGED',
        'The cart changed while it was checked out; nothing was ordered',
        {
          details: [{ path: 'cart', message: 'read the cart again (GET /cart) and check out again' }],
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

/**
 * The 202 of an accepted order (or the replay of one): the stored body, `Location`, and
 * `Idempotent-Replayed: true` on a replay. The order's log lines and trace carry its ids from here.
 */
export function acceptedResponse(result: Accepted) {
  logger.appendKeys({
    orderId: result.orderId,
    ...(result.correlationId ? { correlationId: result.correlationId } : {}),
  });
  tracer.putAnnotation('orderId', result.orderId);
  if (result.correlationId) tracer.putAnnotation('correlationId', result.correlationId);
  return {
    ...json(result.statusCode, null, {
      location: result.location,
      ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}),
    }),
    body: result.body,
  };
}
