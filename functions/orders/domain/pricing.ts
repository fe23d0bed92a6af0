import type { CatalogProduct } from '#functions/catalog/products';
import { type Money, money, multiply, sum } from '#platform/money';
import type { CreateOrderRequest } from './create-order-request';

export interface PricedLine {
  readonly productId: string;
  readonly sellerId: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

export type PricingResult =
  | { ok: true; lines: PricedLine[]; total: Money }
  | { ok: false; reason: 'UNKNOWN_PRODUCTS'; productIds: string[] }
  | { ok: false; reason: 'MIXED_CURRENCIES'; currencies: string[] };

/** Prices an order from the catalog; the client never supplies a price. */
export function priceOrder(
  items: readonly Pick<CreateOrderRequest['items'][number], 'productId' | 'quantity'>[],
  catalog: ReadonlyMap<string, CatalogProduct>,
): PricingResult {
  const unknown = items.filter((item) => !catalog.has(item.productId)).map((item) => item.productId);
  if (unknown.length > 0) return { ok: false, reason: 'UNKNOWN_PRODUCTS', productIds: unknown };

  const lines = items.map((item): PricedLine => {
    const product = catalog.get(item.productId) as CatalogProduct;
    const unitPrice = money(product.priceMinor, product.currency);
    return {
      productId: product.productId,
      sellerId: product.sellerId,
      name: product.name,
      quantity: item.quantity,
      unitPrice,
      lineTotal: multiply(unitPrice, item.quantity),
    };
  });
  const currencies = [...new Set(lines.map((line) => line.unitPrice.currency))];
  const [currency] = currencies;
  if (currency === undefined || currencies.length > 1) {
    return { ok: false, reason: 'MIXED_CURRENCIES', currencies };
  }
  return {
    ok: true,
    lines,
    total: sum(
      lines.map((line) => line.lineTotal),
      currency,
    ),
  };
}
