import type { ProductCatalog } from '#functions/catalog/products';
import type { Identity } from '#functions/customers/model';
import type { CustomerStanding } from '#functions/customers/profiles';
import { requestHash } from './canonical';
import type { CreateOrderRequest } from './domain/create-order-request';
import {
  type PlaceOrderDeps,
  type PlaceOrderResult,
  type PricingRefusal,
  placeOrder,
  priceItems,
} from './place-order';

/** The customers service as orders see it: may a customer order, and who to notify. */
export interface CustomerDirectory {
  standingOf(identity: Identity): Promise<CustomerStanding>;
}

export interface CreateOrderDeps extends PlaceOrderDeps {
  catalog: ProductCatalog;
  customers: CustomerDirectory;
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
  | PlaceOrderResult
  | PricingRefusal
  /** The customer is suspended and may not place orders. */
  | { kind: 'CUSTOMER_SUSPENDED' };

/**
 * Places an order: prices it from the catalog and writes, in ONE transaction, the order, its
 * OrderCreated outbox row and the Idempotency-Key record (`placeOrder`). Because the key record
 * commits with the order, a key maps to at most one order no matter how many requests race, and a
 * replay returns the stored response. A key reused with a different body is `KEY_REUSED`. Keys are
 * scoped to the customer: another customer's use of the same key is another order.
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
  const priced = priceItems(request.items, await deps.catalog.getMany(request.items.map((i) => i.productId)));
  if (!priced.ok) {
    const { ok: _, ...refusal } = priced;
    return refusal;
  }
  return placeOrder(deps, {
    customerId,
    idempotencyKey: input.idempotencyKey,
    requestHash: requestHash(request),
    lines: priced.lines,
    total: priced.total,
    payment: request.payment,
    recipient: standing.recipient,
    traceHeader: input.traceHeader,
    basePath: input.basePath,
  });
}
