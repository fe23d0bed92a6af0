import { describe, expect, it } from 'vitest';
import { findShortage, sortLines } from '#functions/inventory/domain/reservation';
import { reservationIdFor, reservationKey } from '#functions/inventory/model';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const line = (productId: string, quantity: number) => ({
  productId,
  sellerId: `seller-${productId}`,
  name: `Product ${productId}`,
  quantity,
  unitPrice: eur(100),
  lineTotal: eur(100 * quantity),
});

describe('Function: sortLines', () => {
  it('orders lines by productId and keeps only the reservation fields', () => {
    // Prepare
    const lines = [line('c', 1), line('a', 2), line('b', 3)];

    // Act
    const sorted = sortLines(lines);

    // Assess
    expect(sorted.map((l) => l.productId)).toEqual(['a', 'b', 'c']);
    expect(sorted[0]).toEqual({
      productId: 'a',
      sellerId: 'seller-a',
      quantity: 2,
      unitPrice: eur(100),
      lineTotal: eur(200),
    });
  });

  it('does not change the input', () => {
    // Prepare
    const lines = [line('b', 1), line('a', 1)];

    // Act
    sortLines(lines);

    // Assess
    expect(lines.map((l) => l.productId)).toEqual(['b', 'a']);
  });
});

describe('Function: findShortage', () => {
  it('lists only the lines whose stock is below the requested quantity', () => {
    // Prepare
    const stock = new Map([
      ['a', 5],
      ['b', 1],
    ]);

    // Act
    const shortage = findShortage([line('a', 5), line('b', 2)], stock);

    // Assess
    expect(shortage).toEqual({
      reason: 'INSUFFICIENT_STOCK',
      lines: [{ productId: 'b', requested: 2, available: 1 }],
    });
  });

  it('reports UNKNOWN_PRODUCT with zero available when a product is not in the catalog', () => {
    // Prepare
    const stock = new Map([['a', 0]]);

    // Act
    const shortage = findShortage([line('a', 1), line('gone', 1)], stock);

    // Assess
    expect(shortage).toEqual({
      reason: 'UNKNOWN_PRODUCT',
      lines: [
        { productId: 'a', requested: 1, available: 0 },
        { productId: 'gone', requested: 1, available: 0 },
      ],
    });
  });

  it('never reports negative availability', () => {
    // Prepare
    const stock = new Map([['a', -3]]);

    // Act
    const shortage = findShortage([line('a', 1)], stock);

    // Assess
    expect(shortage?.lines).toEqual([{ productId: 'a', requested: 1, available: 0 }]);
  });

  it('returns undefined when every line can be served now', () => {
    // Prepare
    const stock = new Map([['a', 2]]);

    // Act
    const shortage = findShortage([line('a', 2)], stock);

    // Assess
    expect(shortage).toBeUndefined();
  });
});

describe('Function: reservationIdFor', () => {
  it('derives the reservation id and key from the orderId', () => {
    // Act
    const id = reservationIdFor('o-1');

    // Assess
    expect(id).toBe('res-o-1');
    expect(reservationKey('o-1')).toEqual({ pk: 'RESERVATION#o-1', sk: 'RESERVATION' });
  });
});
