import { describe, expect, it } from 'vitest';
import { CircuitBreakingPaymentProvider, countsAgainstPsp } from '#functions/payments/circuit-provider';
import {
  PspCircuitOpenError,
  PspConflictError,
  PspCredentialsError,
  PspRejectedError,
  PspTransientError,
} from '#functions/payments/provider';
import { CircuitBreaker } from '#platform/circuit-breaker';
import { pspDouble } from './helpers';

const breaker = () => {
  let now = 0;
  const circuit = new CircuitBreaker({
    name: 'psp',
    failureThreshold: 2,
    openMs: 30_000,
    isFailure: countsAgainstPsp,
    now: () => now,
  });
  return { circuit, advance: (ms: number) => (now += ms) };
};

describe('Class: CircuitBreakingPaymentProvider', () => {
  it('fails every call fast with a PspCircuitOpenError once the PSP failed to answer often enough', async () => {
    // Prepare
    const { circuit } = breaker();
    const inner = pspDouble({
      getStatus: async () => {
        throw new PspTransientError('PSP answered 503');
      },
    });
    const provider = new CircuitBreakingPaymentProvider(inner, circuit);
    for (let i = 0; i < 2; i++) {
      await expect(provider.getStatus('pay-1', { timeoutMs: 1 })).rejects.toBeInstanceOf(PspTransientError);
    }

    // Act
    const calls = await Promise.allSettled([
      provider.authorize(
        { paymentId: 'pay-1', amount: { amountMinor: 1, currency: 'EUR' }, token: 't', splits: [] },
        { idempotencyKey: 'pay-1', timeoutMs: 1 },
      ),
      provider.getStatus('pay-1', { timeoutMs: 1 }),
      provider.void('pay-1', { timeoutMs: 1 }),
      provider.refund('pay-1', { timeoutMs: 1 }),
    ]);

    // Assess
    for (const call of calls) {
      expect(call.status === 'rejected' && call.reason).toBeInstanceOf(PspCircuitOpenError);
      expect(call.status === 'rejected' && call.reason).toBeInstanceOf(PspTransientError);
    }
    expect(inner.getStatus).toHaveBeenCalledTimes(2);
    expect(inner.authorize).not.toHaveBeenCalled();
    expect(inner.void).not.toHaveBeenCalled();
    expect(inner.refund).not.toHaveBeenCalled();
  });

  it('lets one trial call through after the open time and closes on its success', async () => {
    // Prepare
    const { circuit, advance } = breaker();
    const inner = pspDouble();
    inner.getStatus
      .mockRejectedValueOnce(new PspTransientError('503'))
      .mockRejectedValueOnce(new PspTransientError('503'));
    const provider = new CircuitBreakingPaymentProvider(inner, circuit);
    await Promise.allSettled([
      provider.getStatus('a', { timeoutMs: 1 }),
      provider.getStatus('b', { timeoutMs: 1 }),
    ]);

    // Act
    advance(30_000);
    const answer = await provider.getStatus('pay-1', { timeoutMs: 1 });

    // Assess
    expect(answer).toEqual({ status: 'PENDING', pspReference: 'psp_1' });
    expect(circuit.state).toBe('CLOSED');
  });
});

describe('Function: countsAgainstPsp', () => {
  it.each([
    ['a 5xx or timeout', new PspTransientError('503'), true],
    ['rejected credentials', new PspCredentialsError('401'), true],
    ['a conflict (an answer)', new PspConflictError('409'), false],
    ['a rejected request (an answer)', new PspRejectedError('400', 400), false],
    ['anything else', new TypeError('bug'), false],
  ])('counts %s: %s', (_, error, expected) => {
    // Assess
    expect(countsAgainstPsp(error)).toBe(expected);
  });
});
