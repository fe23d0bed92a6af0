import { describe, expect, it } from 'vitest';
import { formatMoney, MoneyError, money, multiply, sum } from '#platform/money';

describe('Function: money', () => {
  it('creates an amount of integer minor units in an ISO 4217 currency', () => {
    // Act
    const amount = money(2999, 'EUR');

    // Assess
    expect(amount).toEqual({ amountMinor: 2999, currency: 'EUR' });
  });

  it('accepts zero and the largest safe integer', () => {
    // Act & Assess
    expect(money(0, 'USD').amountMinor).toBe(0);
    expect(money(Number.MAX_SAFE_INTEGER, 'USD').amountMinor).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['a fraction', 19.99],
    ['a negative amount', -1],
    ['an unsafe integer', Number.MAX_SAFE_INTEGER + 1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('rejects %s', (_, amountMinor) => {
    // Act & Assess
    expect(() => money(amountMinor, 'EUR')).toThrow(MoneyError);
    expect(() => money(amountMinor, 'EUR')).toThrow(
      `Amount must be a non-negative safe integer of minor units, got ${amountMinor}`,
    );
  });

  it.each(['eur', 'EURO', 'E1R', ''])('rejects the currency code "%s"', (currency) => {
    // Act & Assess
    expect(() => money(100, currency)).toThrow(`Currency must be an ISO 4217 code, got "${currency}"`);
  });
});

describe('Function: multiply', () => {
  it('multiplies a unit price by a quantity in integer minor units', () => {
    // Prepare
    const price = money(2999, 'EUR');

    // Act
    const total = multiply(price, 3);

    // Assess
    expect(total).toEqual({ amountMinor: 8997, currency: 'EUR' });
  });

  it('keeps exact cents where floating point decimals would drift', () => {
    // Prepare: 0.1 × 3 is 0.30000000000000004 in floating point
    const price = money(10, 'USD');

    // Act
    const total = multiply(price, 3);

    // Assess
    expect(total.amountMinor).toBe(30);
  });

  it.each([
    ['a fractional quantity', 1.5],
    ['a negative quantity', -2],
    ['an unsafe quantity', Number.MAX_SAFE_INTEGER + 1],
  ])('rejects %s', (_, quantity) => {
    // Act & Assess
    expect(() => multiply(money(100, 'EUR'), quantity)).toThrow(
      `Quantity must be a non-negative integer, got ${quantity}`,
    );
  });

  it('rejects a product beyond the safe integer range', () => {
    // Prepare
    const price = money(2 ** 52, 'EUR');

    // Act & Assess
    expect(() => multiply(price, 3)).toThrow(MoneyError);
  });
});

describe('Function: sum', () => {
  it('adds amounts of one currency', () => {
    // Prepare
    const amounts = [money(5998, 'EUR'), money(3999, 'EUR'), money(1, 'EUR')];

    // Act
    const total = sum(amounts, 'EUR');

    // Assess
    expect(total).toEqual({ amountMinor: 9998, currency: 'EUR' });
  });

  it('returns zero in the given currency for no amounts', () => {
    // Act & Assess
    expect(sum([], 'GBP')).toEqual({ amountMinor: 0, currency: 'GBP' });
  });

  it('rejects an amount in another currency', () => {
    // Prepare
    const amounts = [money(100, 'EUR'), money(100, 'USD')];

    // Act & Assess
    expect(() => sum(amounts, 'EUR')).toThrow(new MoneyError('Cannot add USD to EUR'));
  });

  it('rejects a total beyond the safe integer range', () => {
    // Prepare
    const amounts = [money(Number.MAX_SAFE_INTEGER, 'EUR'), money(1, 'EUR')];

    // Act & Assess
    expect(() => sum(amounts, 'EUR')).toThrow(MoneyError);
  });
});

describe('Function: formatMoney', () => {
  it.each([
    [{ amountMinor: 123456, currency: 'EUR' }, 'EUR 1234.56'],
    [{ amountMinor: 5, currency: 'USD' }, 'USD 0.05'],
    [{ amountMinor: 0, currency: 'GBP' }, 'GBP 0.00'],
    [{ amountMinor: 500, currency: 'JPY' }, 'JPY 500'],
    [{ amountMinor: 1234, currency: 'BHD' }, 'BHD 1.234'],
    [{ amountMinor: -250, currency: 'EUR' }, 'EUR -2.50'],
    [{ amountMinor: 1999, currency: 'QQQ' }, 'QQQ 19.99'],
  ])('formats %j as %s without floating point', (amount, text) => {
    // Act
    const formatted = formatMoney(amount);

    // Assess
    expect(formatted).toBe(text);
  });
});
