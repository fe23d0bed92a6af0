import * as z from 'zod';
import { ProductIdSchema } from '#functions/catalog/products';
import { type Money, MoneySchema } from '#platform/money';
import { CART_LIMITS, type CartLine } from './domain/cart';
import { PaymentSchema } from './domain/create-order-request';
import type { PricedLine } from './domain/pricing';

/**
 * The cart of a customer is one item of the orders table, keyed by the token's subject: no request
 * names whose cart it is, so no customer can reach another's. It carries no `customerId` attribute
 * (the `byCustomer` index of orders stays free of carts) and no outbox.
 */
export const CART_KEY_PREFIX = 'CART#';
export const cartKey = (customerId: string) => ({ pk: `${CART_KEY_PREFIX}${customerId}`, sk: 'CART' });

/** The cart item in the orders table; `version` grows by one with every change. */
export interface CartItem {
  pk: string;
  sk: string;
  entity: 'CART';
  lines: CartLine[];
  version: number;
  updatedAt: string;
}

/** A cart that was never written, or was emptied: no lines, version 0. */
export const emptyCart = (customerId: string): CartItem => ({
  ...cartKey(customerId),
  entity: 'CART',
  lines: [],
  version: 0,
  updatedAt: '',
});

/** The body of `PUT /cart/items/{productId}`. */
export const SetCartItemRequestSchema = z
  .strictObject({
    quantity: z
      .number({ error: 'quantity must be a number' })
      .int('quantity must be a whole number')
      .min(0, 'quantity must be at least 0 (0 removes the line)')
      .max(CART_LIMITS.maxQuantity, `quantity must be at most ${CART_LIMITS.maxQuantity}`)
      .describe(
        `the quantity of the product in the cart, 0 to ${CART_LIMITS.maxQuantity}; 0 removes the line`,
      ),
  })
  .meta({ id: 'SetCartItemRequest' });
export type SetCartItemRequest = z.infer<typeof SetCartItemRequestSchema>;

/** The body of `POST /cart/checkout`: how the order is paid; its lines are the cart's. */
export const CheckoutRequestSchema = z
  .strictObject(
    { payment: PaymentSchema },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')}; the order's lines are the cart's, its prices the catalog's`
          : undefined,
    },
  )
  .meta({ id: 'CheckoutRequest' });
export type CheckoutRequest = z.infer<typeof CheckoutRequestSchema>;

/** The product id of a cart line in the path. */
export const CartProductIdSchema = ProductIdSchema;

/** The cart as the API shows it: each line priced from the catalog now. */
export const CartViewSchema = z
  .strictObject({
    items: z.array(
      z.strictObject({
        productId: z.string(),
        name: z.string(),
        quantity: z.number().int(),
        unitPrice: MoneySchema.describe("the catalog's price now"),
        lineTotal: MoneySchema,
      }),
    ),
    total: MoneySchema.nullable().describe('the sum of the line totals; null for an empty cart'),
    itemCount: z.number().int().describe('the number of units in the cart'),
    updatedAt: z.string().nullable().describe('when the cart last changed; null for an empty cart'),
  })
  .meta({ id: 'Cart' });
export type CartView = z.infer<typeof CartViewSchema>;

const copy = (amount: Money): Money => ({ amountMinor: amount.amountMinor, currency: amount.currency });

/** The public view of a cart whose lines were priced (`priceOrder`) into `lines` and `total`. */
export function cartView(cart: CartItem, lines: readonly PricedLine[], total: Money | undefined): CartView {
  return {
    items: lines.map((line) => ({
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitPrice: copy(line.unitPrice),
      lineTotal: copy(line.lineTotal),
    })),
    total: total === undefined || lines.length === 0 ? null : copy(total),
    itemCount: lines.reduce((units, line) => units + line.quantity, 0),
    updatedAt: cart.lines.length === 0 ? null : cart.updatedAt,
  };
}
