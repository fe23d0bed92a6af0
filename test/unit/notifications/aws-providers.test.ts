import {
  AccountSuspendedException,
  BadRequestException,
  InternalServiceErrorException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import {
  AuthorizationErrorException,
  EndpointDisabledException,
  InternalErrorException,
  InvalidParameterException,
  InvalidParameterValueException,
  KMSThrottlingException,
  OptedOutException,
  PublishCommand,
  SNSClient,
  ThrottledException,
  ValidationException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  emailTagValue,
  PERMANENT_ERRORS,
  SesEmailProvider,
  SnsSmsProvider,
} from '#functions/notifications/aws-providers';
import { type NotificationMessage, ProviderError } from '#functions/notifications/provider';
import { MockEmailProvider, MockSmsProvider } from '#functions/notifications/providers';

const ses = mockClient(SESv2Client);
const sns = mockClient(SNSClient);
const meta = { $metadata: {} };

const EMAIL = 'bob.smith@example.com';
const PHONE = '+447700901234';

function cancelled(channel: 'email' | 'sms'): NotificationMessage {
  return {
    notificationId: `order-7#ORDER_CANCELLED#${channel}`,
    channel,
    to: channel === 'email' ? EMAIL : PHONE,
    template: 'ORDER_CANCELLED',
    orderId: 'order-7',
    data: { customerId: 'c-1', reason: 'PAYMENT_FAILED', cancelledAt: '2026-01-02T03:04:05.000Z' },
  };
}

/** Builds an SDK service exception the way the SDK deserializes one. */
type ExceptionClass = new (options: { message: string; $metadata: object }) => Error;

describe('Class: SesEmailProvider', () => {
  beforeEach(() => {
    ses.reset();
  });

  it('sends the rendered text from the sender with the notificationId as header and tag, and returns the MessageId', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-0001' });
    const provider = new SesEmailProvider({
      client: new SESv2Client({ region: 'eu-west-1' }),
      fromAddress: 'orders@shop.example',
      configurationSetName: 'order-mail',
    });

    // Act
    const receipt = await provider.send(cancelled('email'));

    // Assess
    expect(receipt).toEqual({ providerMessageId: 'ses-0001' });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      FromEmailAddress: 'orders@shop.example',
      Destination: { ToAddresses: [EMAIL] },
      Content: {
        Simple: {
          Subject: { Data: 'Your order order-7 is cancelled', Charset: 'UTF-8' },
          Body: {
            Text: {
              Data: [
                'Your order order-7 is cancelled: the payment did not go through.',
                'Any stock held for it is released, and any payment taken is voided or refunded.',
                'Cancelled at 2026-01-02T03:04:05.000Z.',
              ].join('\n'),
              Charset: 'UTF-8',
            },
          },
          Headers: [{ Name: 'X-Notification-Id', Value: 'order-7#ORDER_CANCELLED#email' }],
        },
      },
      EmailTags: [
        { Name: 'notificationId', Value: 'order-7_ORDER_CANCELLED_email' },
        { Name: 'template', Value: 'ORDER_CANCELLED' },
      ],
      ConfigurationSetName: 'order-mail',
    });
  });

  it('sends without a configuration set when none is configured', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-0002' });
    const provider = new SesEmailProvider({
      client: new SESv2Client({}),
      fromAddress: 'orders@shop.example',
    });

    // Act
    await provider.send(cancelled('email'));

    // Assess
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).not.toHaveProperty('ConfigurationSetName');
  });

  it('renders the same subject and text the mock provider records', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-0003' });
    const provider = new SesEmailProvider({
      client: new SESv2Client({}),
      fromAddress: 'orders@shop.example',
    });
    const mock = new MockEmailProvider();

    // Act
    await provider.send(cancelled('email'));
    await mock.send(cancelled('email'), { attempt: 1 });

    // Assess
    const simple = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple;
    expect(mock.sent[0]).toMatchObject({ subject: simple?.Subject?.Data, body: simple?.Body?.Text?.Data });
  });

  it.each(
    [
      [TooManyRequestsException, true],
      [LimitExceededException, true],
      [InternalServiceErrorException, true],
      [SendingPausedException, true],
      [AccountSuspendedException, true],
      [MailFromDomainNotVerifiedException, true],
      [NotFoundException, true],
      [MessageRejected, false],
      [BadRequestException, false],
    ].map(([Exception, retryable]) => [(Exception as ExceptionClass).name, retryable, Exception]) as [
      string,
      boolean,
      ExceptionClass,
    ][],
  )('maps %s to a ProviderError with retryable=%s', async (_name, retryable, Exception) => {
    // Prepare
    const cause = new Exception({ message: `Rejected: ${EMAIL} is not verified`, ...meta });
    ses.on(SendEmailCommand).rejects(cause);
    const provider = new SesEmailProvider({
      client: new SESv2Client({}),
      fromAddress: 'orders@shop.example',
    });

    // Act
    const error = await provider.send(cancelled('email')).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ retryable, cause });
    expect((error as ProviderError).message).toContain(cause.name);
    expect((error as ProviderError).message).toContain('b***@example.com');
    expect((error as ProviderError).message).not.toContain(EMAIL);
  });

  it('treats a timeout or a network error as retryable', async () => {
    // Prepare
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    ses.on(SendEmailCommand).rejectsOnce(timeout).rejectsOnce(new Error('ECONNRESET'));
    const provider = new SesEmailProvider({
      client: new SESv2Client({}),
      fromAddress: 'orders@shop.example',
    });

    // Act
    const first = await provider.send(cancelled('email')).catch((e: unknown) => e);
    const second = await provider.send(cancelled('email')).catch((e: unknown) => e);

    // Assess
    expect(first).toMatchObject({ retryable: true, message: expect.stringContaining('TimeoutError') });
    expect(second).toMatchObject({ retryable: true });
  });

  it('treats an answer without a MessageId as retryable and refuses an SMS message without calling SES', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({});
    const provider = new SesEmailProvider({
      client: new SESv2Client({}),
      fromAddress: 'orders@shop.example',
    });

    // Act
    const empty = await provider.send(cancelled('email')).catch((e: unknown) => e);
    const wrong = await provider.send(cancelled('sms')).catch((e: unknown) => e);

    // Assess
    expect(empty).toMatchObject({ retryable: true });
    expect(wrong).toMatchObject({ retryable: false, message: 'ses-email cannot send sms messages' });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });
});

describe('Class: SnsSmsProvider', () => {
  beforeEach(() => {
    sns.reset();
  });

  it('publishes the rendered text to the phone number as a transactional SMS with the sender id and origination number', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'sns-0001' });
    const provider = new SnsSmsProvider({
      client: new SNSClient({}),
      senderId: 'Shop',
      originationNumber: '+14155550100',
    });

    // Act
    const receipt = await provider.send(cancelled('sms'));

    // Assess
    expect(receipt).toEqual({ providerMessageId: 'sns-0001' });
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        PhoneNumber: PHONE,
        Message: 'Order order-7 is cancelled: the payment did not go through.',
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: 'Shop' },
          'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: '+14155550100' },
        },
      },
    ]);
  });

  it('publishes with the SMS type only when no sender identity is configured, the same text the mock records', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'sns-0002' });
    const provider = new SnsSmsProvider({ client: new SNSClient({}) });
    const mock = new MockSmsProvider();

    // Act
    await provider.send(cancelled('sms'));
    await mock.send(cancelled('sms'), { attempt: 1 });

    // Assess
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes).toEqual({
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    });
    expect(mock.sent[0]?.body).toBe(input?.Message);
  });

  it.each(
    [
      [ThrottledException, true],
      [InternalErrorException, true],
      [KMSThrottlingException, true],
      [AuthorizationErrorException, true],
      [InvalidParameterException, false],
      [InvalidParameterValueException, false],
      [OptedOutException, false],
      [EndpointDisabledException, false],
      [ValidationException, false],
    ].map(([Exception, retryable]) => [(Exception as ExceptionClass).name, retryable, Exception]) as [
      string,
      boolean,
      ExceptionClass,
    ][],
  )('maps %s to a ProviderError with retryable=%s', async (_name, retryable, Exception) => {
    // Prepare
    const cause = new Exception({ message: `Invalid parameter: PhoneNumber ${PHONE}`, ...meta });
    sns.on(PublishCommand).rejects(cause);
    const provider = new SnsSmsProvider({ client: new SNSClient({}) });

    // Act
    const error = await provider.send(cancelled('sms')).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ retryable, cause });
    expect((error as ProviderError).message).toContain('+44******1234');
    expect((error as ProviderError).message).not.toContain(PHONE);
  });

  it('lists as permanent only errors about the message or its recipient', () => {
    // Assess
    expect(PERMANENT_ERRORS).toEqual({
      email: ['MessageRejected', 'BadRequestException'],
      sms: [
        'InvalidParameterException',
        'InvalidParameterValueException',
        'OptedOutException',
        'EndpointDisabledException',
        'ValidationException',
        'UserErrorException',
      ],
    });
  });
});

describe('Placeholder addresses', () => {
  beforeEach(() => {
    ses.reset();
    sns.reset();
  });

  it('are refused for good without calling SES or SNS', async () => {
    // Prepare
    const email = new SesEmailProvider({ client: new SESv2Client({}), fromAddress: 'orders@shop.example' });
    const sms = new SnsSmsProvider({ client: new SNSClient({}) });

    // Act
    const refused = await Promise.all([
      email.send({ ...cancelled('email'), to: 'order-7@customers.example' }).catch((e: unknown) => e),
      sms.send({ ...cancelled('sms'), to: '+15555550100' }).catch((e: unknown) => e),
    ]);

    // Assess
    expect(refused).toEqual([
      expect.objectContaining({
        retryable: false,
        message: "ses-email has no address to send to: the customer's email address is not known",
      }),
      expect.objectContaining({
        retryable: false,
        message: "sns-sms has no address to send to: the customer's phone number is not known",
      }),
    ]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('Function: emailTagValue', () => {
  it('keeps letters, digits, "_" and "-" and replaces the rest, at most 256 characters', () => {
    // Act
    const values = [emailTagValue('o-1#ORDER_CONFIRMED#email'), emailTagValue('x'.repeat(300))];

    // Assess
    expect(values[0]).toBe('o-1_ORDER_CONFIRMED_email');
    expect(values[1]).toHaveLength(256);
  });
});
