import { describe, expect, it, vi } from 'vitest';
import {
  type PaymentProvider,
  PspCircuitOpenError,
  PspConflictError,
  PspCredentialsError,
  PspRejectedError,
  PspTransientError,
} from '#functions/payments/provider';
import { authorizeWithRetries, type RetryPolicy } from '#functions/payments/retry';

const request = {
  paymentId: 'pay-1',
  amount: { amountMinor: 100, currency: 'EUR' },
  token: 'tok_ok',
  splits: [{ sellerId: 's', amount: { amountMinor: 100, currency: 'EUR' } }],
};

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 2_000,
    timeoutMs: 2_000,
    sleep: vi.fn(async () => undefined),
    random: () => 0.5,
    ...overrides,
  };
}

function provider(authorize: PaymentProvider['authorize']): PaymentProvider {
  return { authorize, getStatus: vi.fn(), void: vi.fn(), refund: vi.fn() };
}

describe('Function: authorizeWithRetries', () => {
  it('returns the first answer with the paymentId as idempotency key', async () => {
    // Prepare
    const authorize = vi.fn(async () => ({ status: 'SUCCEEDED' as const, pspReference: 'psp_1' }));
    const settings = policy();

    // Act
    const attempt = await authorizeWithRetries(provider(authorize), request, settings);

    // Assess
    expect(attempt).toEqual({
      kind: 'result',
      result: { status: 'SUCCEEDED', pspReference: 'psp_1' },
      attempts: 1,
    });
    expect(authorize).toHaveBeenCalledWith(request, { idempotencyKey: 'pay-1', timeoutMs: 2_000 });
    expect(settings.sleep).not.toHaveBeenCalled();
  });

  it('retries transient errors with jittered exponential backoff', async () => {
    // Prepare
    const authorize = vi
      .fn()
      .mockRejectedValueOnce(new PspTransientError('503'))
      .mockRejectedValueOnce(new PspTransientError('timeout'))
      .mockResolvedValue({ status: 'SUCCEEDED', pspReference: 'psp_2' });
    const settings = policy();

    // Act
    const attempt = await authorizeWithRetries(provider(authorize), request, settings);

    // Assess
    expect(attempt).toMatchObject({ kind: 'result', attempts: 3 });
    expect(vi.mocked(settings.sleep).mock.calls).toEqual([[50], [100]]);
  });

  it('reports the last transient error after the last attempt', async () => {
    // Prepare
    const authorize = vi.fn().mockRejectedValue(new PspTransientError('still 503'));

    // Act
    const attempt = await authorizeWithRetries(provider(authorize), request, policy());

    // Assess
    expect(attempt.kind).toBe('transient');
    expect(attempt.attempts).toBe(3);
    expect(attempt.kind === 'transient' && attempt.error.message).toBe('still 503');
    expect(authorize).toHaveBeenCalledTimes(3);
  });

  it('does not retry a rejected request', async () => {
    // Prepare
    const authorize = vi.fn().mockRejectedValue(new PspRejectedError('400', 400));

    // Act
    const attempt = authorizeWithRetries(provider(authorize), request, policy());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PspRejectedError);
    expect(authorize).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['rejected credentials', new PspCredentialsError('401'), 1],
    ['a conflict', new PspConflictError('409'), 1],
    ['an open circuit', new PspCircuitOpenError('circuit open'), 0],
  ])('stops at once on %s, which calling again cannot help', async (_, error, made) => {
    // Prepare
    const authorize = vi.fn().mockRejectedValue(error);
    const settings = policy();

    // Act
    const attempt = await authorizeWithRetries(provider(authorize), request, settings);

    // Assess
    expect(attempt).toEqual({ kind: 'transient', error, attempts: made });
    expect(authorize).toHaveBeenCalledTimes(1);
    expect(settings.sleep).not.toHaveBeenCalled();
  });
});
