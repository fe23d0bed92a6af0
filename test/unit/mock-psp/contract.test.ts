import { describe, expect, it } from 'vitest';
import { CreatePaymentFn, GetPaymentFn, ReleasePaymentFn } from '#functions/mock-psp/contract';
import { mockPspSettingsOf } from '#functions/mock-psp/mock-psp';
import { readEnv } from '#platform/env';
import { ConfigurationError } from '#platform/errors';

const TABLES = { PSP_TABLE_NAME: 'psp' };

describe('Function: mockPspSettingsOf', () => {
  it.each([
    ['CreatePaymentFn', CreatePaymentFn],
    ['GetPaymentFn', GetPaymentFn],
    ['ReleasePaymentFn', ReleasePaymentFn],
  ])('uses the defaults when nothing is set (%s)', (_, contract) => {
    // Act
    const settings = mockPspSettingsOf(readEnv(contract, TABLES));

    // Assess
    expect(settings).toEqual({
      timeoutDelayMs: 5000,
      slowDelayMs: 800,
      faultRate5xx: 0,
      faultRateTimeout: 0,
      lateSettleMs: 960_000,
    });
  });

  it('reads the delays and the fault rates', () => {
    // Prepare
    const env = {
      ...TABLES,
      PSP_TIMEOUT_DELAY_MS: '600',
      PSP_SLOW_DELAY_MS: '20',
      PSP_FAULT_RATE_5XX: '0.25',
      PSP_FAULT_RATE_TIMEOUT: '1',
      PSP_LATE_SETTLE_MS: '4000',
    };

    // Act
    const settings = mockPspSettingsOf(readEnv(CreatePaymentFn, env));

    // Assess
    expect(settings).toEqual({
      timeoutDelayMs: 600,
      slowDelayMs: 20,
      faultRate5xx: 0.25,
      faultRateTimeout: 1,
      lateSettleMs: 4000,
    });
  });

  it.each([
    ['PSP_FAULT_RATE_5XX', '1.5'],
    ['PSP_FAULT_RATE_5XX', '-0.5'],
    ['PSP_FAULT_RATE_TIMEOUT', 'often'],
    ['PSP_TIMEOUT_DELAY_MS', '-1'],
    ['PSP_TIMEOUT_DELAY_MS', '1.5'],
    ['PSP_SLOW_DELAY_MS', 'slow'],
    ['PSP_LATE_SETTLE_MS', 'later'],
  ])('fails fast when %s is "%s"', (name, value) => {
    // Act
    const read = () => readEnv(CreatePaymentFn, { ...TABLES, [name]: value });

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(`${name} is invalid`);
    expect(read).toThrow(`got "${value}"`);
  });

  it('needs the PSP table', () => {
    // Act
    const read = () => readEnv(GetPaymentFn, {});

    // Assess
    expect(read).toThrow('Function get-payment: environment is incomplete: PSP_TABLE_NAME is missing');
  });
});
