import { describe, expect, it } from 'vitest';
import type { CatalogProduct } from '#functions/catalog/products';
import { priceOrder } from '#functions/orders/domain/pricing';
import { MoneyError } from '#platform/money';

const MOUSE: CatalogProduct = {
  productId: 'mouse',
  name: 'Wireless Mouse',
  priceMinor: 2999,
  currency: 'EUR',
  sellerId: 'seller-peripherals',
};
const HUB: CatalogProduct = {
  productId: 'hub',
  name: 'USB-C Hub',
  priceMinor: 3999,
  currency: 'EUR',
  sellerId: 'seller-connectivity',
};
const CABLE_USD: CatalogProduct = {
  productId: 'cable',
  name: 'HDMI Cable',
  priceMinor: 899,
  currency: 'USD',
  sellerId: 'seller-connectivity',
};

const catalogOf = (...products: CatalogProduct[]) =>
  new Map(products.map((product) => [product.productId, product] as const));

describe('Function: priceOrder', () => {
  it('Given catalog prices, When an order is priced, Then line totals and the total are in minor units', () => {
    // Prepare
    const items = [
      { productId: 'mouse', quantity: 2 },
      { productId: 'hub', quantity: 1 },
    ];

    // Act
    const result = priceOrder(items, catalogOf(MOUSE, HUB));

    // Assess
    expect(result).toEqual({
      ok: true,
      lines: [
        {
          productId: 'mouse',
          sellerId: 'seller-peripherals',
          name: 'Wireless Mouse',
          quantity: 2,
          unitPrice: { amountMinor: 2999, currency: 'EUR' },
          lineTotal: { amountMinor: 5998, currency: 'EUR' },
        },
        {
          productId: 'hub',
          sellerId: 'seller-connectivity',
          name: 'USB-C Hub',
          quantity: 1,
          unitPrice: { amountMinor: 3999, currency: 'EUR' },
          lineTotal: { amountMinor: 3999, currency: 'EUR' },
        },
      ],
      total: { amountMinor: 9997, currency: 'EUR' },
    });
  });

  it('keeps the order of the request lines', () => {
    // Prepare
    const items = [
      { productId: 'hub', quantity: 3 },
      { productId: 'mouse', quantity: 1 },
    ];

    // Act
    const result = priceOrder(items, catalogOf(MOUSE, HUB));

    // Assess
    expect(result.ok && result.lines.map((line) => line.productId)).toEqual(['hub', 'mouse']);
    expect(result.ok && result.total).toEqual({ amountMinor: 3 * 3999 + 2999, currency: 'EUR' });
  });

  it('lists every product the catalog does not know, in request order', () => {
    // Prepare
    const items = [
      { productId: 'ghost-1', quantity: 1 },
      { productId: 'mouse', quantity: 1 },
      { productId: 'ghost-2', quantity: 1 },
    ];

    // Act
    const result = priceOrder(items, catalogOf(MOUSE));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'UNKNOWN_PRODUCTS', productIds: ['ghost-1', 'ghost-2'] });
  });

  it('rejects an order whose products are priced in different currencies', () => {
    // Prepare
    const items = [
      { productId: 'mouse', quantity: 1 },
      { productId: 'cable', quantity: 1 },
    ];

    // Act
    const result = priceOrder(items, catalogOf(MOUSE, CABLE_USD));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'MIXED_CURRENCIES', currencies: ['EUR', 'USD'] });
  });

  it('refuses a catalog price that is not integer minor units', () => {
    // Prepare
    const broken: CatalogProduct = { ...MOUSE, priceMinor: 29.99 };

    // Act & Assess
    expect(() => priceOrder([{ productId: 'mouse', quantity: 1 }], catalogOf(broken))).toThrow(MoneyError);
  });
});
