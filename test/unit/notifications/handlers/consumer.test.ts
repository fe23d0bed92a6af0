import '#test/unit/setup-env';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockProvider } from '#functions/notifications/providers';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { sample } from '#test/unit/events/helpers';

vi.hoisted(() => {
  Object.assign(process.env, {
    NOTIFICATIONS_TABLE_NAME: 'notifications-test',
    IDEMPOTENCY_TABLE_NAME: 'notification-idempotency-test',
    DEAD_LETTER_TABLE_NAME: 'dead-letters-test',
    NOTIFY_FAILURE_RATE: '0',
  });
});

const { handler } = await import('#functions/notifications/handlers/consumer');

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const orderConfirmed = sample('OrderConfirmed');
const orderCancelled = sample('OrderCancelled');

function completedRecord(eventId: string) {
  return new ConditionalCheckFailedException({
    message: 'exists',
    $metadata: {},
    Item: marshall({
      id: 'order-saga-notifications#x',
      status: 'COMPLETED',
      expiration: Math.floor(Date.now() / 1000) + 3600,
      data: JSON.stringify({ eventId }),
    }),
  });
}

describe('Handler: notifications consumer', () => {
  beforeEach(() => {
    ddb.reset();
    doc.reset();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('records the confirmation email with a put conditioned on attribute_not_exists(pk)', async () => {
    // Prepare
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: orderConfirmed }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    const [write] = doc.commandCalls(PutCommand);
    expect(write?.args[0].input).toMatchObject({
      TableName: 'notifications-test',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `NOTIFICATION#${orderConfirmed.payload.orderId}#ORDER_CONFIRMED#email`,
        sk: 'NOTIFICATION',
        status: 'SENT',
        provider: 'mock-email',
        outbox: [expect.objectContaining({ eventType: 'NotificationSent', topic: 'notifications.events' })],
      },
    });
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.id?.S).toMatch(
      /^order-saga-notifications#/,
    );
  });

  it('sends an email and an SMS for a cancellation', async () => {
    // Prepare
    const event = mskEvent([{ topic: 'orders.events', offset: 2, value: orderCancelled }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    const channels = doc.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.channel);
    expect(channels).toEqual(['email', 'sms']);
  });

  it('sends nothing when the same event is delivered again', async () => {
    // Prepare
    const send = vi.spyOn(MockProvider.prototype, 'send');
    ddb.on(PutItemCommand).rejects(completedRecord(orderConfirmed.eventId));
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: orderConfirmed }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(send).not.toHaveBeenCalled();
    expect(doc.commandCalls(GetCommand)).toHaveLength(0);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('sends nothing when the notification item exists though the idempotency record expired', async () => {
    // Prepare
    const send = vi.spyOn(MockProvider.prototype, 'send');
    doc.on(GetCommand).resolves({ Item: { pk: 'NOTIFICATION#x' } });
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: orderConfirmed }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(send).not.toHaveBeenCalled();
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('notifies OrderShipped and OrderDelivered from shipping.events on the channels the recipient accepts', async () => {
    // Prepare
    const shipped = sample('OrderShipped');
    const delivered = sample('OrderDelivered');
    const event = mskEvent([
      { topic: 'shipping.events', offset: 4, value: shipped },
      { topic: 'shipping.events', offset: 5, value: delivered },
    ]);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toMatchObject({ batchItemFailures: [] });
    const items = doc.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    const accepted = (['email', 'sms'] as const).filter((c) => shipped.payload.recipient.notifications[c]);
    expect(items.map((item) => item?.notificationId)).toEqual([
      ...accepted.map((c) => `${shipped.payload.orderId}#ORDER_SHIPPED#${c}`),
      ...accepted.map((c) => `${delivered.payload.orderId}#ORDER_DELIVERED#${c}`),
    ]);
  });

  it('ignores order events it has no notification for', async () => {
    // Prepare
    const event = mskEvent([{ topic: 'orders.events', offset: 3, value: sample('OrderCreated') }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });
});
