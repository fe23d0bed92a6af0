import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { defineFunction, setting } from '#platform/contract';
import { readEnv } from '#platform/env';
import { AppError, ConfigurationError } from '#platform/errors';

/** A contract with one table and one setting of each kind the platform uses. */
const Example = defineFunction({
  name: 'example',
  service: 'orders',
  entry: 'orders/handlers/example.ts',
  trigger: 'test',
  description: 'test contract',
  tables: { ORDERS_TABLE_NAME: 'readWrite', PRODUCTS_TABLE_NAME: 'read' },
  settings: z.object({
    CHUNK_SIZE: setting.int(100, { min: 1, max: 500 }),
    FAILURE_RATE: setting.rate(0),
    IDEMPOTENT: setting.bool(true),
    CLIENT_ID: setting.textOr('order-saga'),
    AUTH: setting.oneOf(['iam', 'none'], 'iam'),
    WORKFLOW_ARN: setting.text(),
    BASE_URL: setting.url(),
  }),
  metrics: {},
});

const REQUIRED = {
  ORDERS_TABLE_NAME: 'orders',
  PRODUCTS_TABLE_NAME: 'products',
  WORKFLOW_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:payments',
  BASE_URL: 'https://psp.example/v1',
};

/** The ConfigurationError readEnv throws for `env`, or a failure when it throws none. */
function rejectionOf(env: NodeJS.ProcessEnv): ConfigurationError {
  try {
    readEnv(Example, env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('Expected readEnv to throw a ConfigurationError');
}

describe('Function: readEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('reads the table names and applies the defaults of unset settings', () => {
    // Act
    const env = readEnv(Example, REQUIRED);

    // Assess
    expect(env).toEqual({
      ORDERS_TABLE_NAME: 'orders',
      PRODUCTS_TABLE_NAME: 'products',
      CHUNK_SIZE: 100,
      FAILURE_RATE: 0,
      IDEMPOTENT: true,
      CLIENT_ID: 'order-saga',
      AUTH: 'iam',
      WORKFLOW_ARN: REQUIRED.WORKFLOW_ARN,
      BASE_URL: REQUIRED.BASE_URL,
    });
  });

  it('coerces the text of the environment to the settings types and trims text', () => {
    // Prepare
    const raw = {
      ORDERS_TABLE_NAME: ' orders \n',
      PRODUCTS_TABLE_NAME: 'products',
      CHUNK_SIZE: ' 25 ',
      FAILURE_RATE: '0.25',
      IDEMPOTENT: 'false',
      CLIENT_ID: ' relay ',
      AUTH: 'none',
      WORKFLOW_ARN: ` ${REQUIRED.WORKFLOW_ARN} `,
      BASE_URL: 'http://localhost:3000/psp',
    };

    // Act
    const env = readEnv(Example, raw);

    // Assess
    expect(env).toEqual({
      ORDERS_TABLE_NAME: 'orders',
      PRODUCTS_TABLE_NAME: 'products',
      CHUNK_SIZE: 25,
      FAILURE_RATE: 0.25,
      IDEMPOTENT: false,
      CLIENT_ID: 'relay',
      AUTH: 'none',
      WORKFLOW_ARN: REQUIRED.WORKFLOW_ARN,
      BASE_URL: 'http://localhost:3000/psp',
    });
  });

  it('returns only the variables the contract declares', () => {
    // Act
    const env = readEnv(Example, { ...REQUIRED, UNRELATED: 'x', AWS_REGION: 'eu-west-1' });

    // Assess
    expect(Object.keys(env).sort()).toEqual([
      'AUTH',
      'BASE_URL',
      'CHUNK_SIZE',
      'CLIENT_ID',
      'FAILURE_RATE',
      'IDEMPOTENT',
      'ORDERS_TABLE_NAME',
      'PRODUCTS_TABLE_NAME',
      'WORKFLOW_ARN',
    ]);
  });

  it.each([
    ['missing', {}],
    ['empty', { ORDERS_TABLE_NAME: '' }],
    ['blank', { ORDERS_TABLE_NAME: '  \n ' }],
  ])('throws a ConfigurationError naming a table variable that is %s', (_, tables) => {
    // Prepare
    const env = { ...REQUIRED, ORDERS_TABLE_NAME: undefined, ...tables };

    // Act
    const error = rejectionOf(env);

    // Assess
    expect(error.message).toBe('Function example: environment is incomplete: ORDERS_TABLE_NAME is missing');
  });

  it('counts a blank setting as unset, so its default applies', () => {
    // Prepare
    const env = { ...REQUIRED, CHUNK_SIZE: '', FAILURE_RATE: '   ', IDEMPOTENT: ' ', CLIENT_ID: '' };

    // Act
    const parsed = readEnv(Example, env);

    // Assess
    expect(parsed).toMatchObject({
      CHUNK_SIZE: 100,
      FAILURE_RATE: 0,
      IDEMPOTENT: true,
      CLIENT_ID: 'order-saga',
    });
  });

  it('counts a blank required setting as missing', () => {
    // Act
    const error = rejectionOf({ ...REQUIRED, WORKFLOW_ARN: '  ' });

    // Assess
    expect(error.message).toBe('Function example: environment is incomplete: WORKFLOW_ARN is missing');
  });

  it('names every problem at once, missing and invalid, with the value it got', () => {
    // Prepare
    const env = {
      PRODUCTS_TABLE_NAME: 'products',
      CHUNK_SIZE: 'ten',
      FAILURE_RATE: '1.5',
      IDEMPOTENT: 'yes',
      BASE_URL: 'psp.example',
    };

    // Act
    const error = rejectionOf(env);

    // Assess
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      name: 'ConfigurationError',
      code: 'CONFIGURATION_ERROR',
      retryable: false,
    });
    expect(error.message).toMatch(/^Function example: environment is incomplete: /);
    const problems = error.message
      .replace(/^Function example: environment is incomplete: /, '')
      .split(/; (?=[A-Z][A-Z0-9_]* is )/);
    expect(problems).toEqual([
      'ORDERS_TABLE_NAME is missing',
      expect.stringMatching(/^CHUNK_SIZE is invalid \(.+; got "ten"\)$/),
      expect.stringMatching(/^FAILURE_RATE is invalid \(.+; got "1\.5"\)$/),
      expect.stringMatching(/^IDEMPOTENT is invalid \(.+; got "yes"\)$/),
      'WORKFLOW_ARN is missing',
      'BASE_URL is invalid (must be an absolute http(s) URL; got "psp.example")',
    ]);
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });

  it.each(['-1', '1.5', 'ten', '9007199254740993', 'NaN', 'Infinity', '0', '501'])(
    'rejects the int setting "%s" outside its bounds or not an integer',
    (raw) => {
      // Act
      const error = rejectionOf({ ...REQUIRED, CHUNK_SIZE: raw });

      // Assess
      expect(error.message).toContain(`CHUNK_SIZE is invalid (`);
      expect(error.message).toContain(`got "${raw}")`);
    },
  );

  it.each(['-0.1', '1.01', 'often', 'NaN'])('rejects the rate setting "%s" outside 0..1', (raw) => {
    // Act
    const error = rejectionOf({ ...REQUIRED, FAILURE_RATE: raw });

    // Assess
    expect(error.message).toContain(`FAILURE_RATE is invalid (`);
    expect(error.message).toContain(`got "${raw}")`);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['0.5', 0.5],
  ])('accepts the rate setting "%s" at and between the bounds', (raw, expected) => {
    // Act
    const env = readEnv(Example, { ...REQUIRED, FAILURE_RATE: raw });

    // Assess
    expect(env.FAILURE_RATE).toBe(expected);
  });

  it.each(['yes', '1', 'on'])('rejects the bool setting "%s"', (raw) => {
    // Act
    const error = rejectionOf({ ...REQUIRED, IDEMPOTENT: raw });

    // Assess
    expect(error.message).toContain(`IDEMPOTENT is invalid (`);
    expect(error.message).toContain(`got "${raw}")`);
  });

  it.each([
    ['TRUE', true],
    ['False', false],
    [' true ', true],
  ])('reads the bool setting "%s" as %s, in any case and with blanks around', (raw, expected) => {
    // Act
    const env = readEnv(Example, { ...REQUIRED, IDEMPOTENT: raw });

    // Assess
    expect(env.IDEMPOTENT).toBe(expected);
  });

  it.each(['yes', '1', 'on'])('rejects the bool setting "%s"', (raw) => {
    // Act
    const error = rejectionOf({ ...REQUIRED, IDEMPOTENT: raw });

    // Assess
    expect(error.message).toContain(`IDEMPOTENT is invalid (`);
  });

  it.each(['scram', 'IAM', 'plaintext'])(
    'rejects the value "%s" outside the set of a oneOf setting',
    (raw) => {
      // Act
      const error = rejectionOf({ ...REQUIRED, AUTH: raw });

      // Assess
      expect(error.message).toContain(`AUTH is invalid (`);
      expect(error.message).toContain(`got "${raw}")`);
    },
  );

  it('reads process.env by default', () => {
    // Prepare
    for (const [name, value] of Object.entries(REQUIRED)) vi.stubEnv(name, value);
    vi.stubEnv('CHUNK_SIZE', '7');

    // Act
    const env = readEnv(Example);

    // Assess
    expect(env.ORDERS_TABLE_NAME).toBe('orders');
    expect(env.CHUNK_SIZE).toBe(7);
  });

  it('fails the cold start of a handler whose table variable is missing', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv('ORDERS_TABLE_NAME', '');

    // Act
    const loading = import('#functions/orders/handlers/get-order');

    // Assess
    // A fresh module graph has its own ConfigurationError class: compare by name and code.
    await expect(loading).rejects.toMatchObject({
      name: 'ConfigurationError',
      code: 'CONFIGURATION_ERROR',
      message: 'Function get-order: environment is incomplete: ORDERS_TABLE_NAME is missing',
    });
  });

  it('fails the cold start of a handler whose setting is malformed', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv('NOTIFICATIONS_TABLE_NAME', 'notifications');
    vi.stubEnv('IDEMPOTENCY_TABLE_NAME', 'idempotency');
    vi.stubEnv('DEAD_LETTER_TABLE_NAME', 'dead-letters');
    vi.stubEnv('NOTIFY_FAILURE_RATE', '2');

    // Act
    const loading = import('#functions/notifications/handlers/consumer');

    // Assess
    await expect(loading).rejects.toMatchObject({
      name: 'ConfigurationError',
      code: 'CONFIGURATION_ERROR',
      message: expect.stringMatching(/^Function consumer: .*NOTIFY_FAILURE_RATE is invalid .*got "2"\)$/),
    });
  });
});
