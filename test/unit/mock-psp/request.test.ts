import { describe, expect, it } from 'vitest';
import { parseAuthorizationBody } from '#functions/mock-psp/request';

describe('Function: parseAuthorizationBody', () => {
  it('accepts the payment service request and rejects unknown fields', () => {
    // Prepare
    const valid = {
      paymentId: 'pay-1',
      amount: { amountMinor: 100, currency: 'EUR' },
      token: 'tok_ok',
      splits: [{ sellerId: 's', amount: { amountMinor: 100, currency: 'EUR' } }],
    };

    // Act
    const ok = parseAuthorizationBody(valid);
    const extra = parseAuthorizationBody({ ...valid, cardNumber: '4111' });

    // Assess
    expect(ok).toEqual({ ok: true, value: valid });
    expect(extra.ok).toBe(false);
  });
});
