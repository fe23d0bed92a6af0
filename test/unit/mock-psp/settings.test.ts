import { describe, expect, it } from 'vitest';
import { parseAuthorizationBody } from '#functions/mock-psp/request';
import { mockPspSettingsFromEnv } from '#functions/mock-psp/settings';
import { ConfigurationError } from '#platform/errors';

describe('Function: mockPspSettingsFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    // Act
    const settings = mockPspSettingsFromEnv({});

    // Assess
    expect(settings).toEqual({
      timeoutDelayMs: 5000,
      slowDelayMs: 800,
      faultRate5xx: 0,
      faultRateTimeout: 0,
    });
  });

  it('reads fault rates between 0 and 1 and rejects others', () => {
    // Act
    const settings = mockPspSettingsFromEnv({ PSP_FAULT_RATE_5XX: '0.25', PSP_FAULT_RATE_TIMEOUT: '1' });

    // Assess
    expect(settings).toMatchObject({ faultRate5xx: 0.25, faultRateTimeout: 1 });
    expect(() => mockPspSettingsFromEnv({ PSP_FAULT_RATE_5XX: '1.5' })).toThrow(ConfigurationError);
    expect(() => mockPspSettingsFromEnv({ PSP_FAULT_RATE_TIMEOUT: 'often' })).toThrow(ConfigurationError);
  });
});

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
