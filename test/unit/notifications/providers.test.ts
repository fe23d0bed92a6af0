import { describe, expect, it } from 'vitest';
import type { NotificationMessage } from '#functions/notifications/provider';
import {
  FLAKY_FAILURES,
  MockEmailProvider,
  MockProvider,
  MockSmsProvider,
  RECORDED_MESSAGES_LIMIT,
} from '#functions/notifications/providers';

function message(channel: 'email' | 'sms', customerId: string): NotificationMessage {
  return {
    notificationId: `order-1#ORDER_CANCELLED#${channel}`,
    channel,
    to: channel === 'email' ? `${customerId}@customers.example` : '+15555550100',
    template: 'ORDER_CANCELLED',
    orderId: 'order-1',
    data: { customerId, reason: 'PAYMENT_FAILED' },
  };
}

const fixedId = () => '0000-1111';

describe('Class: MockProvider', () => {
  it.each([
    ['email', new MockEmailProvider({ messageId: fixedId }), 'mock-email'],
    ['sms', new MockSmsProvider({ messageId: fixedId }), 'mock-sms'],
  ] as const)('accepts %s for an ordinary customer', async (channel, provider, name) => {
    // Prepare
    const request = message(channel, 'c-1');

    // Act
    const receipt = await provider.send(request, { attempt: 1 });

    // Assess
    expect(provider.name).toBe(name);
    expect(receipt).toEqual({ providerMessageId: `${name}-0000-1111` });
  });

  it.each([
    ['email', new MockEmailProvider(), 'fail-email-42'],
    ['sms', new MockSmsProvider(), 'fail-sms'],
  ] as const)('rejects %s for good for a fail-<channel> customer', async (channel, provider, customer) => {
    // Prepare
    const request = message(channel, customer);

    // Act
    const sent = provider.send(request, { attempt: 1 });

    // Assess
    await expect(sent).rejects.toMatchObject({ name: 'ProviderError', retryable: false });
  });

  it('names the rejected recipient masked', async () => {
    // Prepare
    const email = new MockEmailProvider();
    const sms = new MockSmsProvider();

    // Act
    const rejected = await Promise.all([
      email.send(message('email', 'fail-email-42'), { attempt: 1 }).catch((e: unknown) => e),
      sms.send(message('sms', 'fail-sms'), { attempt: 1 }).catch((e: unknown) => e),
    ]);

    // Assess
    expect(rejected.map((error) => (error as Error).message)).toEqual([
      'mock-email rejected recipient f***@customers.example permanently',
      'mock-sms rejected recipient +15*****0100 permanently',
    ]);
  });

  it('records what it would send, rendered, and only what it accepted', async () => {
    // Prepare
    const email = new MockEmailProvider({ messageId: fixedId });

    // Act
    await email.send(message('email', 'c-1'), { attempt: 1 });
    await email.send(message('email', 'fail-email-1'), { attempt: 1 }).catch(() => undefined);

    // Assess
    expect(email.sent).toEqual([
      {
        notificationId: 'order-1#ORDER_CANCELLED#email',
        channel: 'email',
        to: 'c-1@customers.example',
        subject: 'Your order order-1 is cancelled',
        body: expect.stringContaining('Your order order-1 is cancelled: the payment did not go through.'),
        providerMessageId: 'mock-email-0000-1111',
      },
    ]);
  });

  it('keeps only the latest recorded messages', async () => {
    // Prepare
    const sms = new MockSmsProvider();

    // Act
    for (let i = 0; i <= RECORDED_MESSAGES_LIMIT; i++) {
      await sms.send({ ...message('sms', 'c-1'), notificationId: `n-${i}` }, { attempt: 1 });
    }

    // Assess
    expect(sms.sent).toHaveLength(RECORDED_MESSAGES_LIMIT);
    expect(sms.sent[0]?.notificationId).toBe('n-1');
  });

  it('fails a channel only for its own failure mode', async () => {
    // Prepare
    const sms = new MockSmsProvider({ messageId: fixedId });

    // Act
    const receipt = await sms.send(message('sms', 'fail-email-1'), { attempt: 1 });

    // Assess
    expect(receipt.providerMessageId).toBe('mock-sms-0000-1111');
  });

  it.each([
    ['email', new MockEmailProvider({ messageId: fixedId }), 'flaky-email-7'],
    ['sms', new MockSmsProvider({ messageId: fixedId }), 'flaky-sms-7'],
  ] as const)(
    'fails %s transiently twice for a flaky customer, then accepts',
    async (channel, provider, customer) => {
      // Prepare
      const request = message(channel, customer);

      // Act
      const calls = await Promise.allSettled([1, 2, 3].map((attempt) => provider.send(request, { attempt })));

      // Assess
      expect(FLAKY_FAILURES).toBe(2);
      expect(calls.map((call) => call.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
      for (const call of calls.slice(0, 2)) {
        expect(call.status === 'rejected' && call.reason).toMatchObject({
          name: 'ProviderError',
          retryable: true,
        });
      }
    },
  );

  it('keeps no state between notifications: each attempt counter starts over', async () => {
    // Prepare
    const provider = new MockEmailProvider({ messageId: fixedId });
    await provider.send(message('email', 'flaky-email'), { attempt: 3 });

    // Act
    const again = provider.send(message('email', 'flaky-email'), { attempt: 1 });

    // Assess
    await expect(again).rejects.toMatchObject({ retryable: true });
  });

  it('fails transiently at the configured rate', async () => {
    // Prepare
    const rolls = [0.05, 0.5, 0.09, 0.95];
    const provider = new MockEmailProvider({ failureRate: 0.1, random: () => rolls.shift() ?? 1 });

    // Act
    const calls = await Promise.allSettled(
      [0, 1, 2, 3].map(() => provider.send(message('email', 'c-1'), { attempt: 1 })),
    );

    // Assess
    expect(calls.map((call) => call.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls[0]?.status === 'rejected' && calls[0].reason).toMatchObject({ retryable: true });
  });

  it('never fails at random with the default rate', async () => {
    // Prepare
    const provider = new MockSmsProvider({ random: () => 0 });

    // Act
    const receipt = await provider.send(message('sms', 'c-1'), { attempt: 1 });

    // Assess
    expect(receipt.providerMessageId).toMatch(/^mock-sms-/);
  });

  it('refuses a message for another channel', async () => {
    // Prepare
    const provider = new MockSmsProvider();

    // Act
    const sent = provider.send(message('email', 'c-1'), { attempt: 1 });

    // Assess
    await expect(sent).rejects.toMatchObject({ retryable: false });
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects the failure rate %s', (failureRate) => {
    // Prepare
    const options = { failureRate };

    // Act
    const create = () => new MockProvider('email', options);

    // Assess
    expect(create).toThrow(RangeError);
  });
});
