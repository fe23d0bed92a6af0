import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from '#functions/orders/canonical';

const REQUEST = {
  customerId: 'customer-42',
  items: [
    { productId: 'mouse', quantity: 2 },
    { productId: 'hub', quantity: 1 },
  ],
  payment: { method: 'card', token: 'tok_ok' },
};

describe('Function: canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    // Prepare
    const value = { b: 1, a: { d: [3, { f: 2, e: 'x' }], c: null } };

    // Act
    const json = canonicalJson(value);

    // Assess
    expect(json).toBe('{"a":{"c":null,"d":[3,{"e":"x","f":2}]},"b":1}');
  });

  it('leaves out properties whose value is undefined, as JSON does', () => {
    // Act & Assess
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('escapes keys and strings as JSON', () => {
    // Act & Assess
    expect(canonicalJson({ 'quote"key': 'line\nbreak' })).toBe('{"quote\\"key":"line\\nbreak"}');
  });
});

describe('Function: requestHash', () => {
  it('Given the same request with keys in another order, Then the hash is the same', () => {
    // Prepare
    const reordered = {
      payment: { token: 'tok_ok', method: 'card' },
      items: [
        { quantity: 2, productId: 'mouse' },
        { quantity: 1, productId: 'hub' },
      ],
      customerId: 'customer-42',
    };

    // Act & Assess
    expect(requestHash(reordered)).toBe(requestHash(REQUEST));
  });

  it('is a SHA-256 hex digest', () => {
    // Act & Assess
    expect(requestHash(REQUEST)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['another quantity', { ...REQUEST, items: [{ productId: 'mouse', quantity: 3 }, REQUEST.items[1]] }],
    ['another customer', { ...REQUEST, customerId: 'customer-43' }],
    ['another payment token', { ...REQUEST, payment: { method: 'card', token: 'tok_other' } }],
    ['the lines in another order', { ...REQUEST, items: [...REQUEST.items].reverse() }],
    [
      'a quantity as a string',
      { ...REQUEST, items: [{ productId: 'mouse', quantity: '2' }, REQUEST.items[1]] },
    ],
  ])('Given %s, Then the hash differs', (_, changed) => {
    // Act & Assess
    expect(requestHash(changed)).not.toBe(requestHash(REQUEST));
  });
});
