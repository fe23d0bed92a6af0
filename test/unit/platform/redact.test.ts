import { describe, expect, it } from 'vitest';
import {
  maskContacts,
  maskContactsReplacer,
  maskEmail,
  maskPhone,
  REDACTED,
  redactCustomerData,
  redactPaymentTokens,
} from '#platform/redact';

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

describe('Function: maskEmail', () => {
  it.each([
    ['alice@example.com', 'a***@example.com'],
    ['b@mail.shop.example', 'b***@mail.shop.example'],
    ['not-an-address', '***'],
    ['@example.com', '***'],
  ])('masks %s as %s', (address, masked) => {
    // Act
    const result = maskEmail(address);

    // Assess
    expect(result).toBe(masked);
  });
});

describe('Function: maskPhone', () => {
  it.each([
    ['+441234561234', '+44******1234'],
    ['+15555550100', '+15*****0100'],
    ['+123456', '+******'],
  ])('masks %s as %s', (number, masked) => {
    // Act
    const result = maskPhone(number);

    // Assess
    expect(result).toBe(masked);
  });
});

describe('Function: maskContacts', () => {
  it('masks every email address and E.164 number in a text and keeps the rest', () => {
    // Prepare
    const text =
      'Email address is not verified: bob.smith@example.com, carol+x@shop.example; SMS to +447700901234 failed (order o-1)';

    // Act
    const masked = maskContacts(text);

    // Assess
    expect(masked).toBe(
      'Email address is not verified: b***@example.com, c***@shop.example; SMS to +44******1234 failed (order o-1)',
    );
  });
});

describe('Function: maskContactsReplacer', () => {
  it('masks contacts in every string of a JSON document and leaves other values alone', () => {
    // Prepare
    const value = { to: 'alice@example.com', nested: [{ phone: '+441234561234' }], attempts: 2, ok: true };

    // Act
    const json = JSON.stringify(value, maskContactsReplacer);

    // Assess
    expect(JSON.parse(json)).toEqual({
      to: 'a***@example.com',
      nested: [{ phone: '+44******1234' }],
      attempts: 2,
      ok: true,
    });
  });
});
