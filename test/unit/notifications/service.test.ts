import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEvent, type Recipient } from '#events';
import { customerIdOf, type OrderOutcomeEvent, recipientFor } from '#functions/notifications/model';
import type { NotificationProvider } from '#functions/notifications/provider';
import { MockEmailProvider, MockSmsProvider } from '#functions/notifications/providers';
import { countsAgainstProvider } from '#functions/notifications/retry';
import {
  NotificationDeferredError,
  type NotificationDeps,
  NotificationService,
  NotificationWriteError,
} from '#functions/notifications/service';
import { CircuitBreaker, CircuitOpenError } from '#platform/circuit-breaker';
import { outboxEntryOf } from '#test/unit/helpers/outbox';
import { latestSample, sample } from '../events/helpers';

const NOW = new Date('2025-03-01T12:06:00.000Z');
const TABLE = 'notifications';

const doc = mockClient(DynamoDBDocumentClient);

function confirmed(orderId = 'c0ffee00-0000-4000-8000-000000000001'): OrderOutcomeEvent {
  const event = sample('OrderConfirmed');
  return { ...event, aggregateId: orderId, payload: { ...event.payload, orderId } };
}

function cancelled(orderId = 'c0ffee00-0000-4000-8000-000000000002'): OrderOutcomeEvent {
  const event = sample('OrderCancelled');
  return { ...event, aggregateId: orderId, payload: { ...event.payload, orderId } };
}

/** The latest OrderCancelled (version 3): its recipient accepts email and SMS. */
function cancelledFor(
  recipient: Recipient,
  orderId = 'c0ffee00-0000-4000-8000-000000000003',
): OrderOutcomeEvent {
  const event = latestSample('OrderCancelled');
  return { ...event, aggregateId: orderId, payload: { ...event.payload, orderId, recipient } };
}

/** OrderShipped or OrderDelivered (version 1, which always carries the recipient). */
function shippingFor(
  type: 'OrderShipped' | 'OrderDelivered',
  recipient: Recipient,
  orderId = 'c0ffee00-0000-4000-8000-000000000004',
): OrderOutcomeEvent {
  if (type === 'OrderShipped') {
    const event = sample('OrderShipped');
    return { ...event, aggregateId: orderId, payload: { ...event.payload, orderId, recipient } };
  }
  const event = sample('OrderDelivered');
  return { ...event, aggregateId: orderId, payload: { ...event.payload, orderId, recipient } };
}

interface Harness {
  service: NotificationService;
  sleep: ReturnType<typeof vi.fn>;
  providers: { email: NotificationProvider; sms: NotificationProvider };
  breakers: { email: CircuitBreaker; sms: CircuitBreaker };
}

function harness(overrides: Partial<NotificationDeps> = {}): Harness {
  const sleep = vi.fn(async () => undefined);
  const providers = {
    email: new MockEmailProvider({ messageId: () => 'e-1' }),
    sms: new MockSmsProvider({ messageId: () => 's-1' }),
  };
  const breakerOf = (name: string) =>
    new CircuitBreaker({ name, now: () => NOW.getTime(), isFailure: countsAgainstProvider });
  const breakers = { email: breakerOf('mock-email'), sms: breakerOf('mock-sms') };
  const service = new NotificationService({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    notificationsTable: TABLE,
    providers,
    breakers,
    retry: { maxAttempts: 3, baseDelayMs: 100, sleep, random: () => 0.5 },
    ...overrides,
  });
  return { service, sleep, providers, breakers };
}

function puts() {
  return doc.commandCalls(PutCommand).map((call) => call.args[0].input);
}

/** The one event a notification item carries, parsed as a consumer would. */
function publishedEvent(put: ReturnType<typeof puts>[number] | undefined) {
  const parsed = parseEvent(outboxEntryOf(put?.Item).event);
  if (!parsed.ok) throw new Error(`the outbox entry holds no valid event: ${parsed.error.message}`);
  return parsed.event;
}

describe('Class: NotificationService', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).resolves({});
  });

  it('emails the confirmation and records it carrying NotificationSent in one conditional put', async () => {
    // Prepare
    const { service } = harness();
    const event = confirmed();
    const orderId = event.payload.orderId;

    // Act
    const outcomes = await service.notify(event, NOW);

    // Assess
    expect(outcomes).toEqual([
      { notificationId: `${orderId}#ORDER_CONFIRMED#email`, channel: 'email', status: 'SENT', attempts: 1 },
    ]);
    expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: TABLE,
      Key: { pk: `NOTIFICATION#${orderId}#ORDER_CONFIRMED#email`, sk: 'NOTIFICATION' },
      ConsistentRead: true,
    });
    const [put, ...more] = puts();
    expect(more).toEqual([]);
    expect(put).toEqual({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `NOTIFICATION#${orderId}#ORDER_CONFIRMED#email`,
        sk: 'NOTIFICATION',
        entity: 'NOTIFICATION',
        notificationId: `${orderId}#ORDER_CONFIRMED#email`,
        orderId,
        channel: 'email',
        template: 'ORDER_CONFIRMED',
        recipient: `${orderId}@customers.example`,
        status: 'SENT',
        attempts: 1,
        provider: 'mock-email',
        providerMessageId: 'mock-email-e-1',
        causationId: event.eventId,
        correlationId: event.correlationId,
        resultEventId: expect.any(String),
        createdAt: NOW.toISOString(),
        outbox: [
          expect.objectContaining({
            eventType: 'NotificationSent',
            topic: 'notifications.events',
            messageKey: orderId,
          }),
        ],
      },
    });
    const published = publishedEvent(put);
    expect(published).toMatchObject({
      eventType: 'NotificationSent',
      source: 'notification-service',
      aggregateId: orderId,
      correlationId: event.correlationId,
      causationId: event.eventId,
      occurredAt: NOW.toISOString(),
      payload: {
        orderId,
        notificationId: `${orderId}#ORDER_CONFIRMED#email`,
        channel: 'email',
        template: 'ORDER_CONFIRMED',
        provider: 'mock-email',
        attempts: 1,
      },
    });
    expect(put?.Item?.resultEventId).toBe(published.eventId);
  });

  it('notifies a cancellation by email and SMS, one put each', async () => {
    // Prepare
    const { service } = harness();
    const event = cancelled();

    // Act
    const outcomes = await service.notify(event, NOW);

    // Assess
    expect(outcomes.map(({ channel, status }) => [channel, status])).toEqual([
      ['email', 'SENT'],
      ['sms', 'SENT'],
    ]);
    const writes = puts();
    expect(writes).toHaveLength(2);
    expect(writes.map((put) => put.Item?.recipient)).toEqual([
      `${event.payload.orderId}@customers.example`,
      '+15555550100',
    ]);
    expect(writes.map((put) => publishedEvent(put).payload)).toEqual([
      expect.objectContaining({ channel: 'email', template: 'ORDER_CANCELLED', provider: 'mock-email' }),
      expect.objectContaining({ channel: 'sms', template: 'ORDER_CANCELLED', provider: 'mock-sms' }),
    ]);
  });

  it('sends and writes nothing when the notification is already recorded', async () => {
    // Prepare
    const send = vi.fn(async () => ({ providerMessageId: 'never' }));
    const email: NotificationProvider = { name: 'spy-email', channel: 'email', send };
    const { service } = harness({ providers: { email, sms: new MockSmsProvider() } });
    const event = confirmed();
    doc
      .on(GetCommand)
      .resolves({ Item: { pk: `NOTIFICATION#${event.payload.orderId}#ORDER_CONFIRMED#email` } });

    // Act
    const outcomes = await service.notify(event, NOW);

    // Assess
    expect(outcomes).toEqual([
      {
        notificationId: `${event.payload.orderId}#ORDER_CONFIRMED#email`,
        channel: 'email',
        status: 'ALREADY_DONE',
      },
    ]);
    expect(send).not.toHaveBeenCalled();
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('sends nothing the second time the same event is delivered', async () => {
    // Prepare
    const send = vi.fn(async () => ({ providerMessageId: 'p-1' }));
    const email: NotificationProvider = { name: 'spy-email', channel: 'email', send };
    const { service } = harness({ providers: { email, sms: new MockSmsProvider() } });
    const event = confirmed();
    const stored = new Map<string, unknown>();
    doc.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({ Item: stored.get(input.Key.pk) }));
    doc.on(PutCommand).callsFake((input: { Item: { pk: string } }) => {
      stored.set(input.Item.pk, input.Item);
      return {};
    });

    // Act
    const first = await service.notify(event, NOW);
    const second = await service.notify(event, NOW);

    // Assess
    expect(first[0]?.status).toBe('SENT');
    expect(second[0]?.status).toBe('ALREADY_DONE');
    expect(send).toHaveBeenCalledTimes(1);
    expect(doc.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('treats a lost race on the notification item as already done', async () => {
    // Prepare
    const { service } = harness();
    doc.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));

    // Act
    const outcomes = await service.notify(confirmed(), NOW);

    // Assess
    expect(outcomes[0]?.status).toBe('ALREADY_DONE');
  });

  it('fails with a write error, caused by the DynamoDB error, when the put fails for another reason', async () => {
    // Prepare
    const { service } = harness();
    const failure = new TransactionConflictException({ message: 'ongoing', $metadata: {} });
    doc.on(PutCommand).rejects(failure);

    // Act
    const run = service.notify(confirmed(), NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(NotificationWriteError);
    await expect(run).rejects.toMatchObject({ cause: failure });
  });

  it('records NotificationFailed for a permanent failure instead of throwing', async () => {
    // Prepare
    const { service, sleep } = harness();
    const event = cancelled('fail-email-order-1');

    // Act
    const outcomes = await service.notify(event, NOW);

    // Assess
    expect(outcomes.map(({ channel, status }) => [channel, status])).toEqual([
      ['email', 'FAILED'],
      ['sms', 'SENT'],
    ]);
    expect(sleep).not.toHaveBeenCalled();
    const [emailWrite] = puts();
    expect(emailWrite?.Item).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      provider: 'mock-email',
      reason: expect.stringContaining('rejected recipient f***@customers.example'),
    });
    expect(emailWrite?.Item).not.toHaveProperty('providerMessageId');
    expect(emailWrite?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(publishedEvent(emailWrite)).toMatchObject({
      eventType: 'NotificationFailed',
      source: 'notification-service',
      payload: { channel: 'email', template: 'ORDER_CANCELLED', attempts: 1, reason: expect.any(String) },
    });
  });

  it('records NotificationFailed after the retries are exhausted', async () => {
    // Prepare
    const send = vi.fn().mockRejectedValue(new Error('smtp timeout'));
    const email: NotificationProvider = { name: 'down-email', channel: 'email', send };
    const { service, sleep } = harness({ providers: { email, sms: new MockSmsProvider() } });

    // Act
    const outcomes = await service.notify(confirmed(), NOW);

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(send).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls).toEqual([[50], [100]]);
    expect(publishedEvent(puts()[0]).payload).toMatchObject({
      reason: 'after 3 attempts: smtp timeout',
      attempts: 3,
    });
  });

  it('sends a flaky customer on the third attempt', async () => {
    // Prepare
    const { service } = harness();

    // Act
    const outcomes = await service.notify(confirmed('flaky-email-order-9'), NOW);

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'SENT', attempts: 3 });
    expect(puts()[0]?.Item).toMatchObject({ status: 'SENT', attempts: 3 });
  });

  it('throws a retryable error when a circuit is open, after handling the other channels', async () => {
    // Prepare
    const { service, breakers } = harness();
    for (let i = 0; i < 5; i++) {
      await breakers.sms.execute(() => Promise.reject(new Error('sms gateway down'))).catch(() => undefined);
    }
    const event = cancelled();

    // Act
    const run = service.notify(event, NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(NotificationDeferredError);
    await expect(run).rejects.toMatchObject({ retryable: true, cause: expect.any(CircuitOpenError) });
    const writes = puts();
    expect(writes.map((put) => put.Item?.channel)).toEqual(['email']);
  });

  it('writes nothing for a notification whose circuit is open', async () => {
    // Prepare
    const { service, breakers } = harness();
    for (let i = 0; i < 5; i++) {
      await breakers.email.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    }

    // Act
    const run = service.notify(confirmed(), NOW);

    // Assess
    await expect(run).rejects.toThrow(/Deferred .*#ORDER_CONFIRMED#email: Circuit mock-email is open/);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('Class: NotificationService, with the recipient the event carries', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).resolves({});
  });

  const BOB: Recipient = {
    customerId: 'customer-bob',
    name: 'Bob',
    email: 'bob@example.com',
    phone: '+15555550123',
    notifications: { email: true, sms: true },
  };

  it("sends to the recipient's email and phone, with the customer's id in the message data", async () => {
    // Prepare
    const { service, providers } = harness();
    const email = vi.spyOn(providers.email, 'send');
    const sms = vi.spyOn(providers.sms, 'send');

    // Act
    const outcomes = await service.notify(cancelledFor(BOB), NOW);

    // Assess
    expect(outcomes.map((outcome) => [outcome.channel, outcome.status])).toEqual([
      ['email', 'SENT'],
      ['sms', 'SENT'],
    ]);
    expect(email.mock.calls[0]?.[0]).toMatchObject({
      to: 'bob@example.com',
      data: { customerId: 'customer-bob' },
    });
    expect(sms.mock.calls[0]?.[0]).toMatchObject({
      to: '+15555550123',
      data: { customerId: 'customer-bob' },
    });
    expect(puts().map((put) => put.Item?.recipient)).toEqual(['bob@example.com', '+15555550123']);
  });

  it('skips the channels the recipient does not accept, and records nothing for them', async () => {
    // Prepare
    const { service, providers } = harness();
    const sms = vi.spyOn(providers.sms, 'send');
    const emailOnly: Recipient = {
      customerId: 'customer-bob',
      email: 'bob@example.com',
      notifications: { email: true, sms: false },
    };

    // Act
    const outcomes = await service.notify(cancelledFor(emailOnly), NOW);

    // Assess
    expect(outcomes.map((outcome) => outcome.channel)).toEqual(['email']);
    expect(sms).not.toHaveBeenCalled();
    expect(puts()).toHaveLength(1);
  });

  it('sends nothing to a recipient who accepts no channel', async () => {
    // Prepare
    const { service } = harness();
    const silent = { customerId: 'customer-quiet', notifications: { email: false, sms: false } };

    // Act
    const outcomes = await service.notify(cancelledFor(silent), NOW);

    // Assess
    expect(outcomes).toEqual([]);
    expect(doc.commandCalls(GetCommand)).toHaveLength(0);
    expect(puts()).toHaveLength(0);
  });

  it('notifies a shipment on the channels the recipient accepts, with the carrier and tracking number', async () => {
    // Prepare
    const { service, providers } = harness();
    const email = vi.spyOn(providers.email, 'send');
    const sms = vi.spyOn(providers.sms, 'send');
    const event = shippingFor('OrderShipped', BOB);

    // Act
    const outcomes = await service.notify(event, NOW);

    // Assess
    const orderId = 'c0ffee00-0000-4000-8000-000000000004';
    expect(outcomes.map((outcome) => [outcome.notificationId, outcome.status])).toEqual([
      [`${orderId}#ORDER_SHIPPED#email`, 'SENT'],
      [`${orderId}#ORDER_SHIPPED#sms`, 'SENT'],
    ]);
    const data = { customerId: 'customer-bob', carrier: 'mock-carrier', trackingNumber: 'MC1Z4F7K2Q9D0X' };
    expect(email.mock.calls[0]?.[0]).toMatchObject({
      to: 'bob@example.com',
      template: 'ORDER_SHIPPED',
      data,
    });
    expect(sms.mock.calls[0]?.[0]).toMatchObject({ to: '+15555550123', template: 'ORDER_SHIPPED', data });
    const published = publishedEvent(puts()[0]);
    expect(published).toMatchObject({
      eventType: 'NotificationSent',
      eventVersion: 2,
      causationId: event.eventId,
      payload: { template: 'ORDER_SHIPPED', channel: 'email' },
    });
  });

  it('notifies a delivery by email only to a recipient who accepts email only', async () => {
    // Prepare
    const { service, providers } = harness();
    const sms = vi.spyOn(providers.sms, 'send');
    const emailOnly: Recipient = {
      customerId: 'customer-bob',
      email: 'bob@example.com',
      notifications: { email: true, sms: false },
    };

    // Act
    const outcomes = await service.notify(shippingFor('OrderDelivered', emailOnly), NOW);

    // Assess
    expect(outcomes.map((outcome) => outcome.notificationId)).toEqual([
      'c0ffee00-0000-4000-8000-000000000004#ORDER_DELIVERED#email',
    ]);
    expect(sms).not.toHaveBeenCalled();
    expect(puts().map((put) => [put.Item?.template, put.Item?.recipient])).toEqual([
      ['ORDER_DELIVERED', 'bob@example.com'],
    ]);
  });

  it('sends no shipping notification twice when the same event is delivered again', async () => {
    // Prepare
    const { service, providers } = harness();
    const email = vi.spyOn(providers.email, 'send');
    doc.on(GetCommand).resolves({ Item: { pk: 'NOTIFICATION#x' } });

    // Act
    const outcomes = await service.notify(shippingFor('OrderShipped', BOB), NOW);

    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['ALREADY_DONE', 'ALREADY_DONE']);
    expect(email).not.toHaveBeenCalled();
    expect(puts()).toHaveLength(0);
  });

  it('uses the placeholder addresses of a recipient without addresses (an order placed before profiles)', async () => {
    // Prepare
    const { service } = harness();
    const legacy = { customerId: 'customer-old', notifications: { email: true, sms: true } };

    // Act
    await service.notify(cancelledFor(legacy), NOW);

    // Assess
    expect(puts().map((put) => put.Item?.recipient)).toEqual([
      'customer-old@customers.example',
      '+15555550100',
    ]);
  });
});

describe('Function: customerIdOf', () => {
  it('falls back to the orderId because order outcome events carry no customerId', () => {
    // Prepare
    const event = confirmed('order-77');

    // Act
    const customerId = customerIdOf(event);

    // Assess
    expect(customerId).toBe('order-77');
    expect(recipientFor('email', customerId)).toBe('order-77@customers.example');
    expect(recipientFor('sms', customerId)).toBe('+15555550100');
  });

  it('uses a customerId when a payload carries one', () => {
    // Prepare
    const event = confirmed('order-77');
    const withCustomer = {
      ...event,
      payload: { ...event.payload, customerId: 'c-9' },
    } as unknown as OrderOutcomeEvent;

    // Act
    const customerId = customerIdOf(withCustomer);

    // Assess
    expect(customerId).toBe('c-9');
  });
});
