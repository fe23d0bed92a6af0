import { describe, expect, it } from 'vitest';
import { localEnvironment } from '#localstack/runtime/local-env';

const ENDPOINTS = {
  dynamoDb: 'http://127.0.0.1:8000',
  kafkaBootstrap: '127.0.0.1:9092',
  stepFunctions: 'http://127.0.0.1:8083',
  api: 'http://127.0.0.1:3000',
};
const FN = { name: 'notifications-consumer', memoryMb: 512, timeoutMs: 30_000 };

describe('Function: localEnvironment', () => {
  it('keeps the notification service on its mock providers, even from a template built with notifyMode=aws', () => {
    // Prepare
    const templateEnv = { NOTIFY_MODE: 'aws', NOTIFY_FROM_EMAIL: 'orders@shop.example' };

    // Act
    const env = localEnvironment(templateEnv, FN, ENDPOINTS, {});

    // Assess
    expect(env).toMatchObject({ NOTIFY_MODE: 'mock', NOTIFY_FROM_EMAIL: 'orders@shop.example' });
  });

  it('leaves functions without a notification mode alone', () => {
    // Act
    const env = localEnvironment({ ORDERS_TABLE_NAME: 'orders' }, FN, ENDPOINTS, {});

    // Assess
    expect(env).not.toHaveProperty('NOTIFY_MODE');
    expect(env.ORDERS_TABLE_NAME).toBe('orders');
  });
});
