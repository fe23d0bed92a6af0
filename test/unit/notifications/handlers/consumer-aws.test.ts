import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { MessageRejected, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { ConfigurationError } from '#platform/errors';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { latestSample } from '#test/unit/events/helpers';

const AWS_ENV = {
  NOTIFICATIONS_TABLE_NAME: 'notifications-test',
  IDEMPOTENCY_TABLE_NAME: 'notification-idempotency-test',
  DEAD_LETTER_TABLE_NAME: 'dead-letters-test',
  NOTIFY_MODE: 'aws',
  NOTIFY_FROM_EMAIL: 'orders@shop.example',
  NOTIFY_SMS_SENDER_ID: 'Shop',
};

/**
 * The functions' environment (like `#test/unit/setup-env`, which this file does not import) with the
 * logger at DEBUG from the start: the logger middleware resets a warm invocation to the initial level.
 */
vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_NAMESPACE: 'Test',
    POWERTOOLS_SERVICE_NAME: 'test',
    AWS_REGION: 'us-east-1',
    NOTIFICATIONS_TABLE_NAME: 'notifications-test',
    IDEMPOTENCY_TABLE_NAME: 'notification-idempotency-test',
    DEAD_LETTER_TABLE_NAME: 'dead-letters-test',
    NOTIFY_MODE: 'aws',
    NOTIFY_FROM_EMAIL: 'orders@shop.example',
    NOTIFY_SMS_SENDER_ID: 'Shop',
  });
});

const { handler } = await import('#functions/notifications/handlers/consumer');

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);
const sns = mockClient(SNSClient);

/** OrderCancelled v3: its recipient has an email address and a phone number and accepts both channels. */
const cancelled = latestSample('OrderCancelled');
const recipient = cancelled.payload.recipient;
const EMAIL = recipient.email as string;
const PHONE = recipient.phone as string;

/** Every line the functions' logger writes (Powertools writes through `console` in dev mode). */
let lines: string[];
let spies: MockInstance[];

describe('Handler: notifications consumer with notifyMode=aws', () => {
  beforeEach(() => {
    for (const client of [ddb, doc, ses, sns]) client.reset();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
    lines = [];
    spies = (['log', 'debug', 'info', 'warn', 'error', 'trace'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      }),
    );
  });

  afterEach(() => {
    for (const spy of spies) spy.mockRestore();
    vi.unstubAllEnvs();
  });

  it('sends through SES and SNS at the profile addresses and never logs an address unmasked', async () => {
    // Prepare
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: `Email address is not verified. The following identities failed the check: ${EMAIL}`,
        $metadata: { httpStatusCode: 400 },
      }),
    );
    sns
      .on(PublishCommand)
      .rejectsOnce(new ThrottledException({ message: `Rate exceeded for ${PHONE}`, $metadata: {} }))
      .resolves({ MessageId: 'sns-1' });
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: cancelled }]);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toMatchObject({
      FromEmailAddress: 'orders@shop.example',
      Destination: { ToAddresses: [EMAIL] },
    });
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input.PhoneNumber)).toEqual([
      PHONE,
      PHONE,
    ]);
    const items = doc.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items.map((item) => [item?.channel, item?.status, item?.provider])).toEqual([
      ['email', 'FAILED', 'ses-email'],
      ['sms', 'SENT', 'sns-sms'],
    ]);
    // The rejection reason travels in NotificationFailed (Kafka) with the address masked.
    expect(JSON.stringify(items[0]?.outbox)).toContain(
      'rejected b***@example.com permanently (MessageRejected',
    );
    expect(JSON.stringify(items.map((item) => item?.outbox))).not.toContain(EMAIL);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes(EMAIL) || line.includes(PHONE))).toEqual([]);
  });

  it('logs no address when a failure that quotes one is logged with its cause', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
    doc
      .on(PutCommand, { TableName: 'notifications-test' })
      .rejects(new Error(`write failed for ${EMAIL} / ${PHONE}`));
    const event = mskEvent([{ topic: 'orders.events', offset: 2, value: cancelled }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(lines.some((line) => line.includes('handler failed for a reason that passes'))).toBe(true);
    expect(lines.some((line) => line.includes('b***@example.com / +15*****0123'))).toBe(true);
    expect(lines.filter((line) => line.includes(EMAIL) || line.includes(PHONE))).toEqual([]);
  });

  it('fails the cold start when NOTIFY_MODE=aws has no sender address', async () => {
    // Prepare
    vi.resetModules();
    for (const [name, value] of Object.entries(AWS_ENV)) vi.stubEnv(name, value);
    vi.stubEnv('NOTIFY_FROM_EMAIL', '');

    // Act
    const load = import('#functions/notifications/handlers/consumer');

    // Assess
    await expect(load).rejects.toThrow(
      'Notification channels are misconfigured: NOTIFY_FROM_EMAIL is missing (required with NOTIFY_MODE=aws)',
    );
    // A fresh module graph: the error is that graph's ConfigurationError.
    await expect(load).rejects.toMatchObject({ code: new ConfigurationError('x').code });
  });
});
