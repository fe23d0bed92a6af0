import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it, vi } from 'vitest';
import { SesEmailProvider, SnsSmsProvider } from '#functions/notifications/aws-providers';
import {
  channelConfigOf,
  createAwsClients,
  type NotifySettings,
  providersFor,
} from '#functions/notifications/channels';
import { MockEmailProvider, MockSmsProvider } from '#functions/notifications/providers';
import { ConfigurationError } from '#platform/errors';

const AWS: NotifySettings = {
  NOTIFY_MODE: 'aws',
  NOTIFY_FAILURE_RATE: 0,
  NOTIFY_FROM_EMAIL: 'orders@shop.example',
};

describe('Function: channelConfigOf', () => {
  it('reads the mock mode with its failure rate', () => {
    // Act
    const config = channelConfigOf({ NOTIFY_MODE: 'mock', NOTIFY_FAILURE_RATE: 0.5 });

    // Assess
    expect(config).toEqual({ mode: 'mock', failureRate: 0.5 });
  });

  it('reads the aws mode with the sender identity', () => {
    // Act
    const config = channelConfigOf({
      ...AWS,
      NOTIFY_SES_CONFIGURATION_SET: 'order-mail',
      NOTIFY_SMS_SENDER_ID: 'Shop',
      NOTIFY_SMS_ORIGINATION_NUMBER: '+14155550100',
    });

    // Assess
    expect(config).toEqual({
      mode: 'aws',
      fromEmail: 'orders@shop.example',
      sesConfigurationSet: 'order-mail',
      smsSenderId: 'Shop',
      smsOriginationNumber: '+14155550100',
    });
  });

  it.each([
    [{ NOTIFY_FROM_EMAIL: undefined }, 'NOTIFY_FROM_EMAIL is missing (required with NOTIFY_MODE=aws)'],
    [{ NOTIFY_FROM_EMAIL: 'Shop <orders@shop.example>' }, 'NOTIFY_FROM_EMAIL is not a plain email address'],
    [
      { NOTIFY_SMS_ORIGINATION_NUMBER: '4155550100' },
      'NOTIFY_SMS_ORIGINATION_NUMBER is not an E.164 phone number',
    ],
  ])('fails fast in aws mode on %j', (override, problem) => {
    // Act
    const act = () => channelConfigOf({ ...AWS, ...override });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(`Notification channels are misconfigured: ${problem}`);
  });
});

describe('Function: providersFor', () => {
  it('builds the mock providers without creating an AWS client', () => {
    // Prepare
    const clients = vi.fn(createAwsClients);

    // Act
    const providers = providersFor({ mode: 'mock', failureRate: 0 }, clients);

    // Assess
    expect(providers.email).toBeInstanceOf(MockEmailProvider);
    expect(providers.sms).toBeInstanceOf(MockSmsProvider);
    expect(clients).not.toHaveBeenCalled();
  });

  it('builds the SES and SNS providers from the clients in aws mode', () => {
    // Prepare
    const clients = vi.fn(createAwsClients);

    // Act
    const providers = providersFor(
      { mode: 'aws', fromEmail: 'orders@shop.example', smsSenderId: 'Shop' },
      clients,
    );

    // Assess
    expect(clients).toHaveBeenCalledTimes(1);
    expect(providers.email).toBeInstanceOf(SesEmailProvider);
    expect(providers.sms).toBeInstanceOf(SnsSmsProvider);
    expect([providers.email.name, providers.sms.name]).toEqual(['ses-email', 'sns-sms']);
  });

  it('creates SDK clients that leave retries to the notification service', async () => {
    // Act
    const { ses, sns } = createAwsClients();

    // Assess
    expect(ses).toBeInstanceOf(SESv2Client);
    expect(sns).toBeInstanceOf(SNSClient);
    expect(await ses.config.maxAttempts()).toBe(1);
    expect(await sns.config.maxAttempts()).toBe(1);
  });
});
