import type { CatalogProduct, ProductCatalog } from '#functions/catalog/products';
import type { Identity } from '#functions/customers/model';
import { RetryableError } from '#platform/errors';
import { requestHash } from './canonical';
import { type CartItem, type CartView, type CheckoutRequest, cartView } from './cart-model';
import type { CartStore } from './cart-store';
import type { CreateOrderResult, CustomerDirectory } from './create-order';
import { cartSignature, setQuantity } from './domain/cart';
import { priceOrder } from './domain/pricing';
import { type PlaceOrderDeps, placeOrder, priceItems, replayOf } from './place-order';

/** Concurrent changes of one cart kept winning the race; the client may send the change again. */
export class CartBusyError extends RetryableError {
  readonly code = 'CART_CHANGED';
}

export interface CartDeps {
  carts: CartStore;
  catalog: ProductCatalog;
  clock: () => Date;
}

const MAX_CONFLICTS = 5;

/**
 * A cart priced from the catalog now. A line whose product left the catalog is not shown (a checkout
 * refuses it with UNKNOWN_PRODUCT, and setting its quantity to 0 removes it); lines in several
 * currencies, which a cart refuses to gain, would be shown without a total.
 */
export function pricedCart(cart: CartItem, catalog: ReadonlyMap<string, CatalogProduct>): CartView {
  const known = cart.lines.filter((line) => catalog.has(line.productId));
  const priced = priceOrder(known, catalog);
  if (priced.ok) return cartView(cart, priced.lines, priced.total);
  const lines = known.flatMap((line) => {
    const alone = priceOrder([line], catalog);
    return alone.ok ? alone.lines : [];
  });
  return cartView(cart, lines, undefined);
}

/** The signed-in customer's cart, priced from the catalog (an empty cart when there is none). */
export async function viewCart(deps: CartDeps, customerId: string): Promise<CartView> {
  const cart = await deps.carts.get(customerId);
  return pricedCart(cart, await deps.catalog.getMany(cart.lines.map((line) => line.productId)));
}

/** What became of setting a line's quantity. */
export type SetCartItemResult =
  /** The cart after the change (or as it was, when it held that quantity already). */
  | { kind: 'SAVED'; cart: CartView }
  /** The product is not in the catalog: nothing written. */
  | { kind: 'UNKNOWN_PRODUCT' }
  /** A new line would take the cart over its line limit: nothing written. */
  | { kind: 'TOO_MANY_LINES'; maxLines: number }
  /** The product's currency differs from the cart's: nothing written. */
  | { kind: 'MIXED_CURRENCIES'; currencies: string[] };

/**
 * Sets the quantity of a product in the customer's cart (0 removes the line): read the cart, decide
 * (`setQuantity`), save conditioned on the version read; a lost race reads and decides again. A
 * product must be in the catalog to be added or changed; a line is removed whatever the catalog says.
 */
export async function setCartItem(
  deps: CartDeps,
  input: { customerId: string; productId: string; quantity: number },
): Promise<SetCartItemResult> {
  const { customerId, productId, quantity } = input;
  for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
    const cart = await deps.carts.get(customerId);
    const ids = [...new Set([...cart.lines.map((line) => line.productId), productId])];
    const catalog = await deps.catalog.getMany(ids);
    if (quantity > 0 && !catalog.has(productId)) return { kind: 'UNKNOWN_PRODUCT' };
    const change = setQuantity(cart.lines, productId, quantity);
    switch (change.kind) {
      case 'UNCHANGED':
        return { kind: 'SAVED', cart: pricedCart(cart, catalog) };
      case 'TOO_MANY_LINES':
        return { kind: 'TOO_MANY_LINES', maxLines: change.maxLines };
      case 'CHANGED': {
        const currencies = [
          ...new Set(
            change.lines.flatMap((line) => {
              const product = catalog.get(line.productId);
              return product ? [product.currency] : [];
            }),
          ),
        ];
        if (currencies.length > 1) return { kind: 'MIXED_CURRENCIES', currencies };
        const now = deps.clock();
        if ((await deps.carts.save(customerId, cart, change.lines, now)) === 'STALE') continue;
        const saved: CartItem = {
          ...cart,
          lines: change.lines,
          version: cart.version + 1,
          updatedAt: now.toISOString(),
        };
        return { kind: 'SAVED', cart: pricedCart(saved, catalog) };
      }
      default: {
        const unhandled: never = change;
        throw new Error(`Unhandled cart change ${JSON.stringify(unhandled)}`);
      }
    }
  }
  throw new CartBusyError(`The cart of ${customerId} kept changing while ${productId} was set`);
}

export interface CheckoutDeps extends PlaceOrderDeps {
  carts: CartStore;
  catalog: ProductCatalog;
  customers: CustomerDirectory;
}

export interface CheckoutInput {
  request: CheckoutRequest;
  /** The signed-in customer: whose cart is ordered. */
  customerId: string;
  contact?: Omit<Identity, 'sub'>;
  idempotencyKey: string;
  traceHeader?: string;
  basePath?: string;
}

/** What became of a checkout: what became of an order, or an empty cart. */
export type CheckoutResult = CreateOrderResult | { kind: 'CART_EMPTY' };

/**
 * Checks the customer's cart out: the order is created exactly as `POST /orders` creates it (the
 * customer's standing, prices from the catalog now, one transaction with OrderCreated and the
 * Idempotency-Key record: `placeOrder`), and the same transaction deletes the cart on condition that
 * it is still at the version read, so the order holds exactly the cart it cleared (`CART_CHANGED`
 * otherwise, nothing written).
 *
 * A used key answers the same request again: the same body while the cart is empty (the checkout
 * cleared it) or holds the same lines; another body, or a cart that has other lines now, is
 * `KEY_REUSED`. An empty cart with an unused key is `CART_EMPTY`, nothing written.
 */
export async function checkout(deps: CheckoutDeps, input: CheckoutInput): Promise<CheckoutResult> {
  const { customerId } = input;
  const standing = await deps.customers.standingOf({ ...input.contact, sub: customerId });
  if (standing.status === 'SUSPENDED') return { kind: 'CUSTOMER_SUSPENDED' };
  const hash = requestHash({ checkout: input.request });
  const cart = await deps.carts.get(customerId);
  if (cart.lines.length === 0) {
    const existing = await deps.store.getIdempotencyRecord(customerId, input.idempotencyKey);
    const live = existing && existing.expiresAt >= Math.floor(deps.clock().getTime() / 1000);
    return live ? replayOf(existing, existing.requestHash === hash) : { kind: 'CART_EMPTY' };
  }
  const priced = priceItems(cart.lines, await deps.catalog.getMany(cart.lines.map((line) => line.productId)));
  if (!priced.ok) {
    const { ok: _, ...refusal } = priced;
    return refusal;
  }
  return placeOrder(deps, {
    customerId,
    idempotencyKey: input.idempotencyKey,
    requestHash: hash,
    lines: priced.lines,
    total: priced.total,
    payment: input.request.payment,
    recipient: standing.recipient,
    cart: { customerId, version: cart.version, signature: cartSignature(cart.lines) },
    traceHeader: input.traceHeader,
    basePath: input.basePath,
  });
}
