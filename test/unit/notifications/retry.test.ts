import { describe, expect, it, vi } from 'vitest';
import {
  type NotificationMessage,
  type NotificationProvider,
  ProviderError,
} from '#functions/notifications/provider';
import { MockEmailProvider } from '#functions/notifications/providers';
import { countsAgainstProvider, type RetryPolicy, sendWithRetries } from '#functions/notifications/retry';
import { CircuitBreaker, CircuitOpenError } from '#platform/circuit-breaker';

const MESSAGE: NotificationMessage = {
  notificationId: 'order-1#ORDER_CONFIRMED#email',
  channel: 'email',
  to: 'c-1@customers.example',
  template: 'ORDER_CONFIRMED',
  orderId: 'order-1',
  data: { customerId: 'c-1' },
};

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: 3,
    baseDelayMs: 100,
    sleep: vi.fn(async () => undefined),
    random: () => 0.5,
    ...overrides,
  };
}

function providerWith(send: NotificationProvider['send']): NotificationProvider {
  return { name: 'test-email', channel: 'email', send };
}

const breaker = (now = () => 0) =>
  new CircuitBreaker({ name: 'test-email', now, isFailure: countsAgainstProvider });

describe('Function: sendWithRetries', () => {
  it('returns the receipt of the first call without sleeping', async () => {
    // Prepare
    const send = vi.fn(async () => ({ providerMessageId: 'm-1' }));
    const settings = policy();

    // Act
    const outcome = await sendWithRetries(providerWith(send), breaker(), MESSAGE, settings);

    // Assess
    expect(outcome).toEqual({ kind: 'SENT', providerMessageId: 'm-1', attempts: 1 });
    expect(send).toHaveBeenCalledWith(MESSAGE, { attempt: 1 });
    expect(settings.sleep).not.toHaveBeenCalled();
  });

  it('retries transient failures with exponential backoff and full jitter', async () => {
    // Prepare
    const send = vi
      .fn<NotificationProvider['send']>()
      .mockRejectedValueOnce(new ProviderError('throttled', true))
      .mockRejectedValueOnce(new Error('socket hang up'))
      .mockResolvedValue({ providerMessageId: 'm-3' });
    const settings = policy({ random: () => 0.5 });

    // Act
    const outcome = await sendWithRetries(providerWith(send), breaker(), MESSAGE, settings);

    // Assess
    expect(outcome).toEqual({ kind: 'SENT', providerMessageId: 'm-3', attempts: 3 });
    expect(vi.mocked(settings.sleep).mock.calls).toEqual([[50], [100]]);
    expect(send.mock.calls.map(([, context]) => context.attempt)).toEqual([1, 2, 3]);
  });

  it('delivers a flaky-email customer on the third attempt with the mock provider', async () => {
    // Prepare
    const provider = new MockEmailProvider({ messageId: () => 'x' });
    const flaky = { ...MESSAGE, data: { customerId: 'flaky-email-1' } };

    // Act
    const outcome = await sendWithRetries(provider, breaker(), flaky, policy());

    // Assess
    expect(outcome).toEqual({ kind: 'SENT', providerMessageId: 'mock-email-x', attempts: 3 });
  });

  it('starts the attempt counter over on every call', async () => {
    // Prepare
    const provider = new MockEmailProvider();
    const flaky = { ...MESSAGE, data: { customerId: 'flaky-email-1' } };
    const twoAttempts = policy({ maxAttempts: 2 });

    // Act
    const first = await sendWithRetries(provider, breaker(), flaky, twoAttempts);
    const second = await sendWithRetries(provider, breaker(), flaky, twoAttempts);

    // Assess
    expect(first).toMatchObject({ kind: 'FAILED', attempts: 2 });
    expect(second).toMatchObject({ kind: 'FAILED', attempts: 2 });
  });

  it('gives up after the last attempt with the last error as reason', async () => {
    // Prepare
    const send = vi
      .fn<NotificationProvider['send']>()
      .mockRejectedValueOnce(new ProviderError('503 first', true))
      .mockRejectedValueOnce(new ProviderError('503 second', true))
      .mockRejectedValueOnce(new ProviderError('503 third', true));
    const settings = policy();

    // Act
    const outcome = await sendWithRetries(providerWith(send), breaker(), MESSAGE, settings);

    // Assess
    expect(outcome).toEqual({
      kind: 'FAILED',
      reason: 'after 3 attempts: 503 third',
      attempts: 3,
      permanent: false,
    });
    expect(send).toHaveBeenCalledTimes(3);
    expect(settings.sleep).toHaveBeenCalledTimes(2);
  });

  it('stops at once on a permanent failure', async () => {
    // Prepare
    const send = vi
      .fn<NotificationProvider['send']>()
      .mockRejectedValue(new ProviderError('no such mailbox', false));
    const settings = policy();

    // Act
    const outcome = await sendWithRetries(providerWith(send), breaker(), MESSAGE, settings);

    // Assess
    expect(outcome).toEqual({ kind: 'FAILED', reason: 'no such mailbox', attempts: 1, permanent: true });
    expect(settings.sleep).not.toHaveBeenCalled();
  });

  it('cuts an overlong reason to what NotificationFailed carries', async () => {
    // Prepare
    const send = vi
      .fn<NotificationProvider['send']>()
      .mockRejectedValue(new ProviderError('x'.repeat(5000), false));

    // Act
    const outcome = await sendWithRetries(providerWith(send), breaker(), MESSAGE, policy());

    // Assess
    expect(outcome.kind === 'FAILED' && outcome.reason.length).toBe(1024);
  });

  it('throws CircuitOpenError without calling the provider when the circuit is open', async () => {
    // Prepare
    const openBreaker = breaker();
    for (let i = 0; i < 5; i++)
      await openBreaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const send = vi.fn(async () => ({ providerMessageId: 'm' }));

    // Act
    const sent = sendWithRetries(providerWith(send), openBreaker, MESSAGE, policy());

    // Assess
    await expect(sent).rejects.toBeInstanceOf(CircuitOpenError);
    expect(send).not.toHaveBeenCalled();
  });

  it('stops retrying when its own failures open the circuit', async () => {
    // Prepare
    const shared = breaker();
    for (let i = 0; i < 4; i++)
      await shared.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const send = vi.fn<NotificationProvider['send']>().mockRejectedValue(new ProviderError('503', true));

    // Act
    const sent = sendWithRetries(providerWith(send), shared, MESSAGE, policy());

    // Assess
    await expect(sent).rejects.toBeInstanceOf(CircuitOpenError);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('does not count permanent failures against the provider', async () => {
    // Prepare
    const shared = breaker();
    const send = vi.fn<NotificationProvider['send']>().mockRejectedValue(new ProviderError('blocked', false));

    // Act
    for (let i = 0; i < 6; i++) await sendWithRetries(providerWith(send), shared, MESSAGE, policy());

    // Assess
    expect(shared.state).toBe('CLOSED');
    expect(countsAgainstProvider(new ProviderError('503', true))).toBe(true);
    expect(countsAgainstProvider(new Error('network'))).toBe(true);
  });

  it('rejects a policy without attempts', async () => {
    // Prepare
    const send = vi.fn(async () => ({ providerMessageId: 'm' }));

    // Act
    const sent = sendWithRetries(providerWith(send), breaker(), MESSAGE, policy({ maxAttempts: 0 }));

    // Assess
    await expect(sent).rejects.toBeInstanceOf(RangeError);
    expect(send).not.toHaveBeenCalled();
  });
});
