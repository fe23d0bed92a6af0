import { randomUUID } from 'node:crypto';
import { maskEmail, maskPhone } from '#platform/redact';
import {
  type NotificationChannel,
  type NotificationMessage,
  type NotificationProvider,
  ProviderError,
  type SendContext,
  type SendReceipt,
} from './provider';
import { type RenderedMessage, renderMessage } from './templates';

/** What a mock provider would have sent: the rendered message and the id it answered with. */
export interface RecordedMessage extends RenderedMessage {
  readonly notificationId: string;
  readonly channel: NotificationChannel;
  readonly to: string;
  readonly providerMessageId: string;
}

/** Messages a mock provider keeps (the latest ones; it lives as long as its container). */
export const RECORDED_MESSAGES_LIMIT = 100;

/** A recipient as logs and failure reasons may show it: `a***@example.com`, `+44******1234`. */
export function maskedRecipient(channel: NotificationChannel, to: string): string {
  return channel === 'email' ? maskEmail(to) : maskPhone(to);
}

export interface MockProviderOptions {
  /** Probability (0..1) that a call fails transiently at random. @default 0 */
  readonly failureRate?: number;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default a random UUID */
  readonly messageId?: () => string;
}

/** Calls of a `flaky-<channel>` customer that fail before one succeeds. */
export const FLAKY_FAILURES = 2;

/**
 * A provider that delivers nothing and answers like a real one: it renders the message as a real
 * provider would send it (`renderMessage`) and records it in `sent` (the latest
 * `RECORDED_MESSAGES_LIMIT`), with failure modes chosen by the
 * message's `data.customerId`, like a real provider's test recipients:
 *
 * - `fail-<channel>...`: the recipient is rejected for good (`retryable: false`);
 * - `flaky-<channel>...`: the first `FLAKY_FAILURES` calls of a delivery attempt fail transiently,
 *   the next succeeds. The provider keeps no state: it reads the call number from `context.attempt`,
 *   which the caller's retry loop owns;
 * - any other customer: fails transiently with probability `failureRate` (chaos and load runs),
 *   otherwise accepted.
 */
export class MockProvider implements NotificationProvider {
  readonly name: string;
  /** What it would have sent, oldest first. */
  readonly sent: RecordedMessage[] = [];
  private readonly failureRate: number;
  private readonly random: () => number;
  private readonly messageId: () => string;

  constructor(
    readonly channel: NotificationChannel,
    options: MockProviderOptions = {},
  ) {
    this.name = `mock-${channel}`;
    this.failureRate = options.failureRate ?? 0;
    this.random = options.random ?? Math.random;
    this.messageId = options.messageId ?? randomUUID;
    if (!Number.isFinite(this.failureRate) || this.failureRate < 0 || this.failureRate > 1) {
      throw new RangeError(`failureRate must be a number from 0 to 1, got ${this.failureRate}`);
    }
  }

  async send(message: NotificationMessage, context: SendContext): Promise<SendReceipt> {
    if (message.channel !== this.channel) {
      throw new ProviderError(`${this.name} cannot send ${message.channel} messages`, false);
    }
    const customer = message.data.customerId;
    if (customer.startsWith(`fail-${this.channel}`)) {
      throw new ProviderError(
        `${this.name} rejected recipient ${maskedRecipient(this.channel, message.to)} permanently`,
        false,
      );
    }
    if (customer.startsWith(`flaky-${this.channel}`) && context.attempt <= FLAKY_FAILURES) {
      throw new ProviderError(
        `${this.name} is temporarily unavailable (call ${context.attempt} for ${message.notificationId})`,
        true,
      );
    }
    if (this.failureRate > 0 && this.random() < this.failureRate) {
      throw new ProviderError(`${this.name} failed transiently (injected failure)`, true);
    }
    const rendered = renderMessage(message);
    const providerMessageId = `${this.name}-${this.messageId()}`;
    this.sent.push({
      notificationId: message.notificationId,
      channel: message.channel,
      to: message.to,
      ...rendered,
      providerMessageId,
    });
    if (this.sent.length > RECORDED_MESSAGES_LIMIT) this.sent.shift();
    return { providerMessageId };
  }
}

/** The mock email provider (`mock-email`). */
export class MockEmailProvider extends MockProvider {
  constructor(options: MockProviderOptions = {}) {
    super('email', options);
  }
}

/** The mock SMS provider (`mock-sms`). */
export class MockSmsProvider extends MockProvider {
  constructor(options: MockProviderOptions = {}) {
    super('sms', options);
  }
}
