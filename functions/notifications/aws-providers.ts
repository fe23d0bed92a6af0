import { type SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { maskContacts } from '#platform/redact';
import { PLACEHOLDER_EMAIL_DOMAIN, PLACEHOLDER_PHONE_NUMBER } from './model';
import {
  type NotificationChannel,
  type NotificationMessage,
  type NotificationProvider,
  ProviderError,
  type SendReceipt,
} from './provider';
import { maskedRecipient } from './providers';
import { renderMessage } from './templates';

/**
 * How an SDK error of SES or SNS maps onto `ProviderError.retryable`. The rule: a call is
 * permanent (`retryable: false`) only when the message or its recipient is what the provider
 * refuses, so the same call can never succeed: SES `MessageRejected` (content refused, or in the
 * SES sandbox a recipient that is not verified), `BadRequestException` (an invalid address or
 * parameter); SNS `InvalidParameterException` / `InvalidParameterValueException` (an invalid phone
 * number), `OptedOutException` (the number opted out of SMS), `EndpointDisabledException`,
 * `ValidationException`, `UserErrorException`.
 *
 * Everything else is retryable: throttling (SES `TooManyRequestsException`,
 * `LimitExceededException` for the sending quota, SNS `ThrottledException`,
 * `KMSThrottlingException`), 5xx (`InternalServiceErrorException`, `InternalErrorException`),
 * timeouts and network errors, and the account- or configuration-wide refusals: SES
 * `SendingPausedException`, `AccountSuspendedException`, `MailFromDomainNotVerifiedException`,
 * `NotFoundException` (the configuration set is missing), SNS `AuthorizationErrorException`. These say
 * nothing about the message and are fixed by an operator, after which the same call succeeds: as
 * retryable errors they count against the provider's circuit breaker, which opens, and the
 * notifications wait (their events are retried later) instead of all being recorded FAILED.
 * Unknown errors are retryable too, for the same reason.
 */
export const PERMANENT_ERRORS: { readonly [C in NotificationChannel]: readonly string[] } = {
  email: ['MessageRejected', 'BadRequestException'],
  sms: [
    'InvalidParameterException',
    'InvalidParameterValueException',
    'OptedOutException',
    'EndpointDisabledException',
    'ValidationException',
    'UserErrorException',
  ],
};

/** An SDK error's name (`MessageRejected`, `ThrottledException`, `TimeoutError`, ...). */
function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** A `ProviderError` for an SDK error of `provider`; addresses in its message are masked. */
export function providerErrorOf(
  provider: NotificationProvider,
  message: NotificationMessage,
  error: unknown,
): ProviderError {
  const name = nameOf(error);
  const retryable = !PERMANENT_ERRORS[provider.channel].includes(name);
  const detail = maskContacts(error instanceof Error ? error.message : String(error));
  const to = maskedRecipient(message.channel, message.to);
  return new ProviderError(
    retryable
      ? `${provider.name} failed for ${to} (${name}: ${detail})`
      : `${provider.name} rejected ${to} permanently (${name}: ${detail})`,
    retryable,
    { cause: error },
  );
}

/**
 * A placeholder address (model.ts: events without the customer's address) is never handed to SES or
 * SNS: the `.example` domain cannot receive mail (a send would bounce and hurt the sender's
 * reputation) and the reserved number would still be charged. It is refused permanently.
 */
export function refusePlaceholder(provider: NotificationProvider, message: NotificationMessage): void {
  const placeholder =
    message.channel === 'email'
      ? message.to.toLowerCase().endsWith(`@${PLACEHOLDER_EMAIL_DOMAIN}`)
      : message.to === PLACEHOLDER_PHONE_NUMBER;
  if (placeholder) {
    throw new ProviderError(
      `${provider.name} has no address to send to: the customer's ${message.channel === 'email' ? 'email address' : 'phone number'} is not known`,
      false,
    );
  }
}

/** An SES email tag value: ASCII letters, digits, `_` and `-`, at most 256 characters. */
export function emailTagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
}

/** Header every email carries with its notificationId, for tracing and for deduplication downstream. */
export const NOTIFICATION_ID_HEADER = 'X-Notification-Id';

export interface SesEmailProviderOptions {
  readonly client: SESv2Client;
  /** Sender address; it or its domain is a verified SES identity. */
  readonly fromAddress: string;
  /** SES configuration set (event destinations, suppression, dedicated IPs). */
  readonly configurationSetName?: string;
}

/**
 * What both providers do around their one SDK call: refuse another channel and placeholder
 * addresses, map the SDK's errors (`providerErrorOf`), and require the message id AWS answers with.
 */
async function sendThrough(
  provider: NotificationProvider,
  message: NotificationMessage,
  call: () => Promise<{ MessageId?: string | undefined }>,
): Promise<SendReceipt> {
  if (message.channel !== provider.channel) {
    throw new ProviderError(`${provider.name} cannot send ${message.channel} messages`, false);
  }
  refusePlaceholder(provider, message);
  let messageId: string | undefined;
  try {
    ({ MessageId: messageId } = await call());
  } catch (error) {
    throw providerErrorOf(provider, message, error);
  }
  if (!messageId) throw new ProviderError(`${provider.name} accepted the message without a MessageId`, true);
  return { providerMessageId: messageId };
}

/**
 * Email through Amazon SES (SESv2 `SendEmail`), as plain text rendered by `renderMessage`. SES has no
 * idempotency key: the deterministic notificationId goes with each message as the
 * `X-Notification-Id` header and the `notificationId` email tag (in SES event destinations), so a
 * resend after a crash can be recognised.
 */
export class SesEmailProvider implements NotificationProvider {
  readonly name = 'ses-email';
  readonly channel = 'email';

  constructor(private readonly options: SesEmailProviderOptions) {}

  /** The exact `SendEmail` request for a message. */
  requestFor(message: NotificationMessage): SendEmailCommandInput {
    const { subject, body } = renderMessage(message);
    return {
      FromEmailAddress: this.options.fromAddress,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Text: { Data: body, Charset: 'UTF-8' } },
          Headers: [{ Name: NOTIFICATION_ID_HEADER, Value: message.notificationId }],
        },
      },
      EmailTags: [
        { Name: 'notificationId', Value: emailTagValue(message.notificationId) },
        { Name: 'template', Value: message.template },
      ],
      ...(this.options.configurationSetName === undefined
        ? {}
        : { ConfigurationSetName: this.options.configurationSetName }),
    };
  }

  send(message: NotificationMessage): Promise<SendReceipt> {
    return sendThrough(this, message, () =>
      this.options.client.send(new SendEmailCommand(this.requestFor(message))),
    );
  }
}

export interface SnsSmsProviderOptions {
  readonly client: SNSClient;
  /** Alphanumeric sender id, where the destination country supports one. */
  readonly senderId?: string;
  /** Phone number (E.164) the SMS is sent from. */
  readonly originationNumber?: string;
}

const stringAttribute = (value: string) => ({ DataType: 'String', StringValue: value });

/**
 * SMS through Amazon SNS (`Publish` to a phone number), transactional (`AWS.SNS.SMS.SMSType`), with
 * the text rendered by `renderMessage`. SNS takes no deduplication id or tags for SMS (only FIFO topics
 * deduplicate), so the notificationId cannot go with it; exactly-once recording rests on the
 * notification item (service.ts).
 */
export class SnsSmsProvider implements NotificationProvider {
  readonly name = 'sns-sms';
  readonly channel = 'sms';

  constructor(private readonly options: SnsSmsProviderOptions) {}

  /** The exact `Publish` request for a message. */
  requestFor(message: NotificationMessage): PublishCommandInput {
    return {
      PhoneNumber: message.to,
      Message: renderMessage(message).body,
      MessageAttributes: {
        'AWS.SNS.SMS.SMSType': stringAttribute('Transactional'),
        ...(this.options.senderId === undefined
          ? {}
          : { 'AWS.SNS.SMS.SenderID': stringAttribute(this.options.senderId) }),
        ...(this.options.originationNumber === undefined
          ? {}
          : { 'AWS.MM.SMS.OriginationNumber': stringAttribute(this.options.originationNumber) }),
      },
    };
  }

  send(message: NotificationMessage): Promise<SendReceipt> {
    return sendThrough(this, message, () =>
      this.options.client.send(new PublishCommand(this.requestFor(message))),
    );
  }
}
