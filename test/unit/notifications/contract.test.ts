import { describe, expect, it } from 'vitest';
import { NotificationConsumerFn } from '#functions/notifications/contract';
import { readEnv } from '#platform/env';
import { ConfigurationError } from '#platform/errors';

const TABLES = {
  NOTIFICATIONS_TABLE_NAME: 'notifications',
  IDEMPOTENCY_TABLE_NAME: 'notification-idempotency',
  DEAD_LETTER_TABLE_NAME: 'dead-letters',
};

describe('Contract: NotificationConsumerFn', () => {
  it('defaults the failure rate to 0', () => {
    // Prepare
    const env = { ...TABLES };

    // Act
    const settings = readEnv(NotificationConsumerFn, env);

    // Assess
    expect(settings.NOTIFY_FAILURE_RATE).toBe(0);
  });

  it('reads NOTIFY_FAILURE_RATE', () => {
    // Prepare
    const env = { ...TABLES, NOTIFY_FAILURE_RATE: ' 0.25 ' };

    // Act
    const settings = readEnv(NotificationConsumerFn, env);

    // Assess
    expect(settings.NOTIFY_FAILURE_RATE).toBe(0.25);
  });

  it.each(['0', '1'])('accepts NOTIFY_FAILURE_RATE=%s at the bounds', (value) => {
    // Prepare
    const env = { ...TABLES, NOTIFY_FAILURE_RATE: value };

    // Act
    const settings = readEnv(NotificationConsumerFn, env);

    // Assess
    expect(settings.NOTIFY_FAILURE_RATE).toBe(Number(value));
  });

  it.each(['-0.1', '1.01', 'often', 'NaN'])('fails fast on NOTIFY_FAILURE_RATE=%s', (value) => {
    // Prepare
    const env = { ...TABLES, NOTIFY_FAILURE_RATE: value };

    // Act
    const read = () => readEnv(NotificationConsumerFn, env);

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(`NOTIFY_FAILURE_RATE is invalid`);
    expect(read).toThrow(`got "${value}"`);
  });

  it('sends through the mock providers unless NOTIFY_MODE says otherwise, without any sender identity', () => {
    // Prepare
    const env = { ...TABLES };

    // Act
    const settings = readEnv(NotificationConsumerFn, env);

    // Assess
    expect(settings.NOTIFY_MODE).toBe('mock');
    expect(settings.NOTIFY_FROM_EMAIL).toBeUndefined();
    expect(settings.NOTIFY_SMS_SENDER_ID).toBeUndefined();
  });

  it('reads the aws mode and the sender identity', () => {
    // Prepare
    const env = {
      ...TABLES,
      NOTIFY_MODE: 'aws',
      NOTIFY_FROM_EMAIL: ' orders@shop.example ',
      NOTIFY_SES_CONFIGURATION_SET: 'order-mail',
      NOTIFY_SMS_SENDER_ID: 'Shop',
      NOTIFY_SMS_ORIGINATION_NUMBER: '+14155550100',
    };

    // Act
    const settings = readEnv(NotificationConsumerFn, env);

    // Assess
    expect(settings).toMatchObject({
      NOTIFY_MODE: 'aws',
      NOTIFY_FROM_EMAIL: 'orders@shop.example',
      NOTIFY_SES_CONFIGURATION_SET: 'order-mail',
      NOTIFY_SMS_SENDER_ID: 'Shop',
      NOTIFY_SMS_ORIGINATION_NUMBER: '+14155550100',
    });
  });

  it('fails fast on an unknown NOTIFY_MODE', () => {
    // Prepare
    const env = { ...TABLES, NOTIFY_MODE: 'ses' };

    // Act
    const read = () => readEnv(NotificationConsumerFn, env);

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow('NOTIFY_MODE is invalid');
  });

  it('needs its notifications table and the consumer framework tables', () => {
    // Prepare
    const env = {};

    // Act
    const read = () => readEnv(NotificationConsumerFn, env);

    // Assess
    expect(read).toThrow(
      'Function consumer: environment is incomplete: IDEMPOTENCY_TABLE_NAME is missing; DEAD_LETTER_TABLE_NAME is missing; NOTIFICATIONS_TABLE_NAME is missing',
    );
  });

  it('consumes the order outcomes and the shipping progress under the notifications service', () => {
    // Prepare
    const contract = NotificationConsumerFn;

    // Assess
    expect(contract).toMatchObject({
      service: 'notifications',
      consumes: ['OrderConfirmed', 'OrderCancelled', 'OrderShipped', 'OrderDelivered'],
      trigger:
        'MSK: orders.events, shipping.events (OrderConfirmed, OrderCancelled, OrderShipped, OrderDelivered)',
    });
  });
});
