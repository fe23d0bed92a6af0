import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ConfigurationError } from '#platform/errors';
import { SesEmailProvider, SnsSmsProvider } from './aws-providers';
import type { NotificationChannel, NotificationProvider } from './provider';
import { MockEmailProvider, MockSmsProvider } from './providers';

/** The notification settings of the consumer's environment (see its contract). */
export interface NotifySettings {
  readonly NOTIFY_MODE: 'mock' | 'aws';
  readonly NOTIFY_FAILURE_RATE: number;
  readonly NOTIFY_FROM_EMAIL?: string | undefined;
  readonly NOTIFY_SES_CONFIGURATION_SET?: string | undefined;
  readonly NOTIFY_SMS_SENDER_ID?: string | undefined;
  readonly NOTIFY_SMS_ORIGINATION_NUMBER?: string | undefined;
}

/** Which providers the consumer sends through, checked. */
export type ChannelConfig =
  | { readonly mode: 'mock'; readonly failureRate: number }
  | {
      readonly mode: 'aws';
      readonly fromEmail: string;
      readonly sesConfigurationSet?: string;
      readonly smsSenderId?: string;
      readonly smsOriginationNumber?: string;
    };

const SENDER_EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * The channel configuration of an environment. In `aws` mode the sender address is required and
 * every identity setting must be well formed; a problem fails the cold start (`ConfigurationError`)
 * with every problem named, before any message could go out from a wrong identity.
 */
export function channelConfigOf(settings: NotifySettings): ChannelConfig {
  if (settings.NOTIFY_MODE === 'mock') return { mode: 'mock', failureRate: settings.NOTIFY_FAILURE_RATE };
  const problems: string[] = [];
  const from = settings.NOTIFY_FROM_EMAIL;
  if (from === undefined) problems.push('NOTIFY_FROM_EMAIL is missing (required with NOTIFY_MODE=aws)');
  else if (!SENDER_EMAIL.test(from)) problems.push('NOTIFY_FROM_EMAIL is not a plain email address');
  const origination = settings.NOTIFY_SMS_ORIGINATION_NUMBER;
  if (origination !== undefined && !E164.test(origination)) {
    problems.push('NOTIFY_SMS_ORIGINATION_NUMBER is not an E.164 phone number');
  }
  if (problems.length > 0 || from === undefined) {
    throw new ConfigurationError(`Notification channels are misconfigured: ${problems.join('; ')}`);
  }
  return {
    mode: 'aws',
    fromEmail: from,
    ...(settings.NOTIFY_SES_CONFIGURATION_SET === undefined
      ? {}
      : { sesConfigurationSet: settings.NOTIFY_SES_CONFIGURATION_SET }),
    ...(settings.NOTIFY_SMS_SENDER_ID === undefined ? {} : { smsSenderId: settings.NOTIFY_SMS_SENDER_ID }),
    ...(origination === undefined ? {} : { smsOriginationNumber: origination }),
  };
}

/**
 * SDK clients of the `aws` mode. The notification service's retry loop owns retries (one SDK attempt
 * per call) and each call has a deadline, so a hung connection is a retryable timeout.
 */
export interface AwsClients {
  readonly ses: SESv2Client;
  readonly sns: SNSClient;
}

/** One SDK call's deadline. */
export const PROVIDER_REQUEST_TIMEOUT_MS = 5_000;

/** SES and SNS clients as the consumer uses them (created once per container, in `aws` mode only). */
export function createAwsClients(): AwsClients {
  const config = {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: PROVIDER_REQUEST_TIMEOUT_MS },
  };
  return { ses: new SESv2Client(config), sns: new SNSClient(config) };
}

/**
 * The provider of each channel: the mock ones, or SES and SNS with clients from `clients` (called
 * only in `aws` mode, so the mock mode never creates an AWS client).
 */
export function providersFor(
  config: ChannelConfig,
  clients: () => AwsClients,
): { readonly [C in NotificationChannel]: NotificationProvider } {
  if (config.mode === 'mock') {
    return {
      email: new MockEmailProvider({ failureRate: config.failureRate }),
      sms: new MockSmsProvider({ failureRate: config.failureRate }),
    };
  }
  const { ses, sns } = clients();
  return {
    email: new SesEmailProvider({
      client: ses,
      fromAddress: config.fromEmail,
      ...(config.sesConfigurationSet === undefined
        ? {}
        : { configurationSetName: config.sesConfigurationSet }),
    }),
    sms: new SnsSmsProvider({
      client: sns,
      ...(config.smsSenderId === undefined ? {} : { senderId: config.smsSenderId }),
      ...(config.smsOriginationNumber === undefined
        ? {}
        : { originationNumber: config.smsOriginationNumber }),
    }),
  };
}
