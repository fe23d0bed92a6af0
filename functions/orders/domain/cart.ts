import { ORDER_LIMITS } from './create-order-request';

/**
 * The cart of a signed-in customer: product ids with quantities, nothing priced. Prices come from the
 * catalog whenever the cart is shown or checked out. Its limits are those of an order, because a
 * checkout turns the whole cart into one order.
 */
export const CART_LIMITS = {
  /** The lines one cart may hold: the lines of one order. */
  maxLines: ORDER_LIMITS.maxLines,
  /** The largest quantity of a line: the largest of an order's line. */
  maxQuantity: ORDER_LIMITS.maxQuantityPerLine,
  maxBodyBytes: 1024,
} as const;

export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
}

/** What setting a line's quantity does to a cart. */
export type CartChange =
  /** The cart's lines after the change (a new line is added at the end, a 0 removes the line). */
  | { kind: 'CHANGED'; lines: CartLine[] }
  /** The cart holds that quantity already, or a 0 names a line the cart does not have. */
  | { kind: 'UNCHANGED' }
  /** A new line would take the cart over its line limit. */
  | { kind: 'TOO_MANY_LINES'; maxLines: number };

/** Sets the quantity of `productId` in a cart of `lines`; 0 removes the line. */
export function setQuantity(lines: readonly CartLine[], productId: string, quantity: number): CartChange {
  const index = lines.findIndex((line) => line.productId === productId);
  if (index < 0) {
    if (quantity === 0) return { kind: 'UNCHANGED' };
    if (lines.length >= CART_LIMITS.maxLines)
      return { kind: 'TOO_MANY_LINES', maxLines: CART_LIMITS.maxLines };
    return { kind: 'CHANGED', lines: [...lines, { productId, quantity }] };
  }
  if (lines[index]?.quantity === quantity) return { kind: 'UNCHANGED' };
  if (quantity === 0) return { kind: 'CHANGED', lines: lines.filter((line) => line.productId !== productId) };
  return {
    kind: 'CHANGED',
    lines: lines.map((line) => (line.productId === productId ? { productId, quantity } : line)),
  };
}

/**
 * What a checkout with one Idempotency-Key ordered, compared with the cart now: the same lines in any
 * order give the same text, so a checkout repeated before the first one cleared the cart is the same
 * request.
 */
export function cartSignature(lines: readonly CartLine[]): string {
  return [...lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((line) => `${line.productId}=${line.quantity}`)
    .join(',');
}
