import { describe, expect, it } from 'vitest';
import { ORDER_LIMITS, parseCreateOrderRequest } from '#functions/orders/domain/create-order-request';

const VALID = {
  items: [
    { productId: '11111111-1111-1111-1111-111111111111', quantity: 2 },
    { productId: '33333333-3333-3333-3333-333333333333', quantity: 1 },
  ],
  payment: { method: 'card', token: 'tok_ok' },
} as const;

type Request = Record<string, unknown>;

const withFields = (fields: Request): Request => ({ ...structuredClone(VALID), ...fields });
const withLine = (line: Request): Request => withFields({ items: [line] });
const lines = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ productId: `product-${index}`, quantity: 1 }));

describe('Function: parseCreateOrderRequest', () => {
  it('Given a valid request, When it is parsed, Then it passes unchanged', () => {
    // Prepare
    const body = structuredClone(VALID);

    // Act
    const result = parseCreateOrderRequest(body);

    // Assess
    expect(result).toEqual({ ok: true, value: VALID });
  });

  it('accepts the largest order: 50 lines of 1000 units each', () => {
    // Prepare
    const body = withFields({
      items: lines(ORDER_LIMITS.maxLines).map((line) => ({
        ...line,
        quantity: ORDER_LIMITS.maxQuantityPerLine,
      })),
    });

    // Act
    const result = parseCreateOrderRequest(body);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each<[string, unknown, string, string]>([
    ['a string', 'order', '', 'body must be a JSON object'],
    ['a number', 42, '', 'body must be a JSON object'],
    ['an array', [VALID], '', 'body must be a JSON object'],
    ['null', null, '', 'body must be a JSON object'],
    [
      'a customerId (the customer is the signed-in caller)',
      withFields({ customerId: 'customer-42' }),
      'customerId',
      'customerId is not accepted: an order belongs to the signed-in customer',
    ],
    [
      "another customer's id next to an unknown field",
      withFields({ customerId: 'c-2', total: 100 }),
      'customerId',
      'customerId is not accepted: an order belongs to the signed-in customer',
    ],
    ['items as an object', withFields({ items: { productId: 'p-1' } }), 'items', 'items must be an array'],
    ['missing items', withFields({ items: undefined }), 'items', 'items must be an array'],
    ['no lines', withFields({ items: [] }), 'items', 'items must contain at least one line'],
    ['51 lines', withFields({ items: lines(51) }), 'items', 'items must contain at most 50 lines'],
    [
      'a line that is not an object',
      withFields({ items: ['p-1'] }),
      'items.0',
      'Invalid input: expected object, received string',
    ],
    [
      'a line without productId',
      withLine({ quantity: 1 }),
      'items.0.productId',
      'productId must be a string',
    ],
    [
      'a productId of 65 characters',
      withLine({ productId: 'p'.repeat(65), quantity: 1 }),
      'items.0.productId',
      'productId must be at most 64 characters',
    ],
    [
      'quantity 0',
      withLine({ productId: 'p-1', quantity: 0 }),
      'items.0.quantity',
      'quantity must be at least 1',
    ],
    [
      'quantity -1',
      withLine({ productId: 'p-1', quantity: -1 }),
      'items.0.quantity',
      'quantity must be at least 1',
    ],
    [
      'quantity 1.5',
      withLine({ productId: 'p-1', quantity: 1.5 }),
      'items.0.quantity',
      'quantity must be a whole number',
    ],
    [
      'quantity 10^9',
      withLine({ productId: 'p-1', quantity: 10 ** 9 }),
      'items.0.quantity',
      'quantity must be at most 1000',
    ],
    [
      'quantity "2"',
      withLine({ productId: 'p-1', quantity: '2' }),
      'items.0.quantity',
      'quantity must be a number',
    ],
    [
      'quantity null',
      withLine({ productId: 'p-1', quantity: null }),
      'items.0.quantity',
      'quantity must be a number',
    ],
    ['an unknown top-level field', withFields({ total: 100 }), '', 'Unrecognized key: "total"'],
    [
      'a unitPrice in a line',
      withLine({ productId: 'p-1', quantity: 1, unitPrice: 1 }),
      'items.0',
      'unknown field(s) unitPrice; prices and names come from the catalog',
    ],
    [
      'a name and a price in a line',
      withLine({ productId: 'p-1', quantity: 1, name: 'Mouse', price: 1 }),
      'items.0',
      'unknown field(s) name, price; prices and names come from the catalog',
    ],
    [
      'missing payment',
      withFields({ payment: undefined }),
      'payment',
      'Invalid input: expected object, received undefined',
    ],
    [
      'payment by paypal',
      withFields({ payment: { method: 'paypal', token: 'tok_ok' } }),
      'payment.method',
      'payment.method must be "card"',
    ],
    [
      'a card number instead of a token',
      withFields({ payment: { method: 'card', token: '4111111111111111' } }),
      'payment.token',
      'payment.token must be a PSP token such as tok_ok',
    ],
    [
      'a token with a hyphen',
      withFields({ payment: { method: 'card', token: 'tok-ok' } }),
      'payment.token',
      'payment.token must be a PSP token such as tok_ok',
    ],
    [
      'a token that is too long',
      withFields({ payment: { method: 'card', token: `tok_${'a'.repeat(61)}` } }),
      'payment.token',
      'payment.token must be a PSP token such as tok_ok',
    ],
    [
      'a numeric token',
      withFields({ payment: { method: 'card', token: 4242 } }),
      'payment.token',
      'payment.token must be a string',
    ],
    [
      'card data next to the token',
      withFields({ payment: { method: 'card', token: 'tok_ok', cvc: '123' } }),
      'payment',
      'Unrecognized key: "cvc"',
    ],
  ])('Given %s, When it is parsed, Then it is rejected at its path', (_, body, path, message) => {
    // Act
    const result = parseCreateOrderRequest(body);

    // Assess
    expect(result).toEqual({ ok: false, issues: [{ path, message }] });
  });

  it('reports a repeated productId at the repeating line', () => {
    // Prepare
    const body = withFields({
      items: [
        { productId: 'p-1', quantity: 1 },
        { productId: 'p-2', quantity: 1 },
        { productId: 'p-1', quantity: 3 },
      ],
    });

    // Act
    const result = parseCreateOrderRequest(body);

    // Assess
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'items.2.productId',
          message: 'productId p-1 appears more than once; combine the quantities in one line',
        },
      ],
    });
  });

  it('reports every problem of a request at once', () => {
    // Prepare
    const body = {
      customerId: 42,
      items: [{ productId: 'p-1', quantity: 0 }],
      payment: { method: 'card', token: 'nope' },
    };

    // Act
    const result = parseCreateOrderRequest(body);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual([
      'items.0.quantity',
      'payment.token',
      'customerId',
    ]);
  });
});
