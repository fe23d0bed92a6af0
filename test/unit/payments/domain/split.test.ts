import { describe, expect, it } from 'vitest';
import { SplitError, splitBySeller } from '#functions/payments/domain/split';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

describe('Function: splitBySeller', () => {
  it('sums line totals per seller, sellers sorted, shares adding up to the total', () => {
    // Prepare
    const lines = [
      { sellerId: 'seller-b', lineTotal: eur(5998) },
      { sellerId: 'seller-a', lineTotal: eur(3999) },
      { sellerId: 'seller-b', lineTotal: eur(1) },
    ];

    // Act
    const splits = splitBySeller(lines, eur(9998));

    // Assess
    expect(splits).toEqual([
      { sellerId: 'seller-a', amount: eur(3999) },
      { sellerId: 'seller-b', amount: eur(5999) },
    ]);
    expect(splits.reduce((sum, split) => sum + split.amount.amountMinor, 0)).toBe(9998);
  });

  it('gives a single seller the whole amount', () => {
    // Act
    const splits = splitBySeller([{ sellerId: 's', lineTotal: eur(100) }], eur(100));

    // Assess
    expect(splits).toEqual([{ sellerId: 's', amount: eur(100) }]);
  });

  it('keeps zero-amount shares', () => {
    // Act
    const splits = splitBySeller(
      [
        { sellerId: 'free', lineTotal: eur(0) },
        { sellerId: 'paid', lineTotal: eur(50) },
      ],
      eur(50),
    );

    // Assess
    expect(splits).toEqual([
      { sellerId: 'free', amount: eur(0) },
      { sellerId: 'paid', amount: eur(50) },
    ]);
  });

  it('rejects amounts that are not safe integers', () => {
    // Prepare
    const big = Number.MAX_SAFE_INTEGER;

    // Act
    const attempt = () => splitBySeller([{ sellerId: 's', lineTotal: eur(big + 2) }], eur(big + 2));

    // Assess
    expect(attempt).toThrow(SplitError);
  });

  it('rejects shares that do not add up to the total', () => {
    // Act
    const attempt = () => splitBySeller([{ sellerId: 's', lineTotal: eur(100) }], eur(101));

    // Assess
    expect(attempt).toThrow(/sum to 100, not to the payment amount 101/);
  });

  it('rejects a line in another currency', () => {
    // Act
    const attempt = () =>
      splitBySeller([{ sellerId: 's', lineTotal: { amountMinor: 100, currency: 'USD' } }], eur(100));

    // Assess
    expect(attempt).toThrow(SplitError);
  });

  it('rejects fractional amounts and empty line lists', () => {
    // Act
    const fractional = () => splitBySeller([{ sellerId: 's', lineTotal: eur(1.5) }], eur(1.5));
    const empty = () => splitBySeller([], eur(0));

    // Assess
    expect(fractional).toThrow(SplitError);
    expect(empty).toThrow(SplitError);
  });
});
