import { continueTrace, createEvent, type Recipient } from '#events';
import type { CatalogProduct } from '#functions/catalog/products';
import { backoff } from '#platform/backoff';
import type { Money } from '#platform/money';
import { initialHistory } from './domain/order';
import { type PricedLine, priceOrder } from './domain/pricing';
import {
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotencyItem,
  idempotencyKey,
  type OrderItem,
  openShardOf,
  orderKey,
  orderPath,
  orderView,
} from './model';
import type { CartToClear, OrderStore } from './order-store';

/**
 * What `POST /orders` and `POST /cart/checkout` share: pricing from the catalog, and writing the
 * order, its OrderCreated event and the Idempotency-Key record in ONE transaction (with the cart's
 * delete for a checkout), replaying what a used key recorded.
 */

export interface PlaceOrderDeps {
  store: OrderStore;
  clock: () => Date;
  newOrderId: () => string;
  /** Backoff before retrying a transaction that lost a race; injectable for tests. */
  backoff?: (attempt: number) => Promise<void>;
}

/** An order accepted now (`replayed: false`) or earlier with the same key and request (`replayed: true`). */
export interface Accepted {
  kind: 'ACCEPTED';
  replayed: boolean;
  statusCode: number;
  /** The response body, serialized; a replay returns the original bytes. */
  body: string;
  location: string;
  orderId: string;
  /** The order's saga; unknown for a replay of a key recorded before it was kept. */
  correlationId?: string;
}

/** Why the catalog cannot price an order: each maps to a 422. */
export type PricingRefusal =
  /** Products that are not in the catalog, with the index of their line. */
  | { kind: 'UNKNOWN_PRODUCTS'; products: { productId: string; line: number }[] }
  | { kind: 'MIXED_CURRENCIES'; currencies: string[] };

/** What became of writing an order. */
export type PlaceOrderResult =
  | Accepted
  /** The key was used before with another request. */
  | { kind: 'KEY_REUSED' }
  /** A checkout's cart changed between its read and the transaction: nothing was written. */
  | { kind: 'CART_CHANGED' }
  /** Concurrent requests with this key kept winning the race; the client may retry. */
  | { kind: 'IN_PROGRESS' };

export interface PlaceOrderInput {
  customerId: string;
  idempotencyKey: string;
  /** The hash of the request (`requestHash`): a used key answers only the same request. */
  requestHash: string;
  lines: PricedLine[];
  total: Money;
  payment: OrderItem['payment'];
  recipient?: Recipient;
  /** A checkout: the cart to clear with the order, and its lines' signature (`cartSignature`). */
  cart?: CartToClear & { signature: string };
  /** The X-Ray trace header of the request (`_X_AMZN_TRACE_ID`); the saga's trace starts in it. */
  traceHeader?: string;
  /** The base path the client called the API under (`basePathOf`), for `location` and the links. */
  basePath?: string;
}

const SOURCE = 'order-service';
const MAX_CONFLICT_RETRIES = 6;

/** Full jitter below 25 ms · 2^attempt. */
const defaultBackoff = (attempt: number) => backoff(attempt + 1, { baseDelayMs: 25 });

/** Prices `items` from the catalog; a refusal names the offending lines by their index. */
export function priceItems(
  items: readonly { productId: string; quantity: number }[],
  catalog: ReadonlyMap<string, CatalogProduct>,
): { ok: true; lines: PricedLine[]; total: Money } | ({ ok: false } & PricingRefusal) {
  const priced = priceOrder(items, catalog);
  if (priced.ok) return priced;
  if (priced.reason === 'UNKNOWN_PRODUCTS') {
    return {
      ok: false,
      kind: 'UNKNOWN_PRODUCTS',
      products: priced.productIds.map((productId) => ({
        productId,
        line: items.findIndex((item) => item.productId === productId),
      })),
    };
  }
  return { ok: false, kind: 'MIXED_CURRENCIES', currencies: priced.currencies };
}

/** The answer a used key recorded: replayed for the same request, `KEY_REUSED` for another. */
export function replayOf(existing: IdempotencyItem, sameRequest: boolean): Accepted | { kind: 'KEY_REUSED' } {
  if (!sameRequest) return { kind: 'KEY_REUSED' };
  return {
    kind: 'ACCEPTED',
    replayed: true,
    statusCode: existing.statusCode,
    body: existing.responseBody,
    location: existing.location,
    orderId: existing.orderId,
    ...(existing.correlationId ? { correlationId: existing.correlationId } : {}),
  };
}

/**
 * Writes a priced order in ONE transaction with its OrderCreated outbox entry and its Idempotency-Key
 * record (and, for a checkout, the delete of the cart at the version it was priced from). Because the
 * key record commits with the order, a key maps to at most one order no matter how many requests
 * race, and a used key replays the stored response for the same request (`KEY_REUSED` for another).
 * Keys are scoped to the customer.
 */
export async function placeOrder(deps: PlaceOrderDeps, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const { customerId } = input;
  const pause = deps.backoff ?? defaultBackoff;
  for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
    if (attempt > 0) await pause(attempt - 1);
    const now = deps.clock();
    const orderId = deps.newOrderId();
    const event = createEvent(
      'OrderCreated',
      {
        orderId,
        customerId,
        lines: input.lines,
        total: input.total,
        payment: input.payment,
        createdAt: now.toISOString(),
      },
      {
        source: SOURCE,
        aggregateId: orderId,
        now,
        // The saga starts here: a new W3C trace, in the request's X-Ray trace when it has one.
        trace: continueTrace(undefined, input.traceHeader),
      },
    );
    const order: OrderItem = {
      ...orderKey(orderId),
      entity: 'ORDER',
      orderId,
      customerId,
      status: 'PENDING',
      lines: input.lines,
      total: input.total,
      payment: input.payment,
      correlationId: event.correlationId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
      history: initialHistory(now),
      openShard: openShardOf(orderId),
      recipient: input.recipient,
    };
    const location = orderPath(orderId, input.basePath);
    const body = JSON.stringify(orderView(order, input.basePath));
    const record: IdempotencyItem = {
      ...idempotencyKey(customerId, input.idempotencyKey),
      entity: 'IDEMPOTENCY',
      requestHash: input.requestHash,
      ...(input.cart ? { cartSignature: input.cart.signature } : {}),
      orderId,
      correlationId: event.correlationId,
      statusCode: 202,
      responseBody: body,
      location,
      createdAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };

    const created = await deps.store.create(
      order,
      record,
      event,
      input.cart ? { customerId: input.cart.customerId, version: input.cart.version } : undefined,
    );
    if (created === 'CREATED')
      return {
        kind: 'ACCEPTED',
        replayed: false,
        statusCode: 202,
        body,
        location,
        orderId,
        correlationId: event.correlationId,
      };
    if (created === 'CART_CHANGED') return { kind: 'CART_CHANGED' };
    if (created === 'KEY_TAKEN') {
      const existing = await deps.store.getIdempotencyRecord(customerId, input.idempotencyKey);
      if (existing) {
        const sameRequest =
          existing.requestHash === input.requestHash && existing.cartSignature === input.cart?.signature;
        return replayOf(existing, sameRequest);
      }
      // The record expired and vanished between the write and the read: try again as new.
    }
  }
  return { kind: 'IN_PROGRESS' };
}
