import { continueTrace, createEvent } from '#events';
import type { ProductCatalog } from '#functions/catalog/products';
import type { Identity } from '#functions/customers/model';
import type { CustomerStanding } from '#functions/customers/profiles';
import { backoff } from '#platform/backoff';
import { requestHash } from './canonical';
import type { CreateOrderRequest } from './domain/create-order-request';
import { initialHistory } from './domain/order';
import { priceOrder } from './domain/pricing';
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
import type { OrderStore } from './order-store';

/** The customers service as orders see it: may a customer order, and who to notify. */
export interface CustomerDirectory {
  standingOf(identity: Identity): Promise<CustomerStanding>;
}

export interface CreateOrderDeps {
  store: OrderStore;
  catalog: ProductCatalog;
  customers: CustomerDirectory;
  clock: () => Date;
  newOrderId: () => string;
  /** Backoff before retrying a transaction that lost a race; injectable for tests. */
  backoff?: (attempt: number) => Promise<void>;
}

export interface CreateOrderInput {
  request: CreateOrderRequest;
  /** The signed-in customer (the token's subject); the order and its Idempotency-Key belong to it. */
  customerId: string;
  /** The token's email and name claims: the contact details of a customer without a profile yet. */
  contact?: Omit<Identity, 'sub'>;
  idempotencyKey: string;
  /** The X-Ray trace header of the request (`_X_AMZN_TRACE_ID`); the saga's trace starts in it. */
  traceHeader?: string;
  /** The base path the client called the API under (`basePathOf`), for `location` and the links. */
  basePath?: string;
}

/** What became of a request to place an order; the API handler maps each kind to a response. */
export type CreateOrderResult =
  /** Created now (`replayed: false`) or earlier with the same key and body (`replayed: true`). */
  | {
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
  /** Products that are not in the catalog, with the index of their line. */
  | { kind: 'UNKNOWN_PRODUCTS'; products: { productId: string; line: number }[] }
  | { kind: 'MIXED_CURRENCIES'; currencies: string[] }
  /** The customer is suspended and may not place orders. */
  | { kind: 'CUSTOMER_SUSPENDED' }
  /** The key was used before with another body. */
  | { kind: 'KEY_REUSED' }
  /** Concurrent requests with this key kept winning the race; the client may retry. */
  | { kind: 'IN_PROGRESS' };

const SOURCE = 'order-service';
const MAX_CONFLICT_RETRIES = 6;

/** Full jitter below 25 ms · 2^attempt. */
const defaultBackoff = (attempt: number) => backoff(attempt + 1, { baseDelayMs: 25 });

/**
 * Places an order: prices it from the catalog and writes, in ONE transaction, the order, its
 * OrderCreated outbox row and the Idempotency-Key record. Because the key record commits with the
 * order, a key maps to at most one order no matter how many requests race, and a replay returns the
 * stored response. A key reused with a different body is `KEY_REUSED`. Keys are scoped to the
 * customer: another customer's use of the same key is another order.
 *
 * A SUSPENDED customer is refused before anything is read or written (`CUSTOMER_SUSPENDED`); a
 * customer without a profile yet counts as ACTIVE. The order keeps the customer's contact details
 * and notification preferences (`recipient`) for the events that announce its outcome.
 */
export async function createOrder(
  deps: CreateOrderDeps,
  input: CreateOrderInput,
): Promise<CreateOrderResult> {
  const { request, customerId } = input;
  const standing = await deps.customers.standingOf({ ...input.contact, sub: customerId });
  if (standing.status === 'SUSPENDED') return { kind: 'CUSTOMER_SUSPENDED' };
  const hash = requestHash(request);
  const priced = priceOrder(request.items, await deps.catalog.getMany(request.items.map((i) => i.productId)));
  if (!priced.ok) {
    if (priced.reason === 'UNKNOWN_PRODUCTS') {
      return {
        kind: 'UNKNOWN_PRODUCTS',
        products: priced.productIds.map((productId) => ({
          productId,
          line: request.items.findIndex((item) => item.productId === productId),
        })),
      };
    }
    return { kind: 'MIXED_CURRENCIES', currencies: priced.currencies };
  }

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
        lines: priced.lines,
        total: priced.total,
        payment: request.payment,
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
      lines: priced.lines,
      total: priced.total,
      payment: request.payment,
      correlationId: event.correlationId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
      history: initialHistory(now),
      openShard: openShardOf(orderId),
      recipient: standing.recipient,
    };
    const location = orderPath(orderId, input.basePath);
    const body = JSON.stringify(orderView(order, input.basePath));
    const record: IdempotencyItem = {
      ...idempotencyKey(customerId, input.idempotencyKey),
      entity: 'IDEMPOTENCY',
      requestHash: hash,
      orderId,
      correlationId: event.correlationId,
      statusCode: 202,
      responseBody: body,
      location,
      createdAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };

    const created = await deps.store.create(order, record, event);
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
    if (created === 'KEY_TAKEN') {
      const existing = await deps.store.getIdempotencyRecord(customerId, input.idempotencyKey);
      if (existing) {
        if (existing.requestHash !== hash) return { kind: 'KEY_REUSED' };
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
      // The record expired and vanished between the write and the read: try again as new.
    }
  }
  return { kind: 'IN_PROGRESS' };
}
