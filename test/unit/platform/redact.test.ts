import { describe, expect, it } from 'vitest';
import { REDACTED, redactCustomerData, redactPaymentTokens } from '#platform/redact';

describe('Function: redactPaymentTokens', () => {
  it('masks the token field and anything shaped like a PSP token, in JSON or not', () => {
    // Prepare
    const text =
      '{"payment":{"method":"card","token":"tok_live_4242"},"note":"retry tok_ok"} trailing "token": "x\\"y"';

    // Act
    const redacted = redactPaymentTokens(text);

    // Assess
    expect(redacted).not.toMatch(/tok_/);
    expect(redacted).not.toContain('x\\"y');
    expect(redacted).toContain(`"token":"${REDACTED}"`);
    expect(redacted).toContain('"method":"card"');
  });
});

describe('Function: redactCustomerData', () => {
  it('also masks customer ids', () => {
    // Prepare
    const text = JSON.stringify({
      payload: { orderId: 'o-1', customerId: 'c-42', payment: { token: 'tok_ok' } },
    });

    // Act
    const redacted = redactCustomerData(text);

    // Assess
    expect(JSON.parse(redacted)).toEqual({
      payload: { orderId: 'o-1', customerId: REDACTED, payment: { token: REDACTED } },
    });
  });
});
