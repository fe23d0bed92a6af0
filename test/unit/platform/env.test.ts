import { afterEach, describe, expect, it, vi } from 'vitest';
import { boolEnv, intEnv, optionalEnv, requireEnv } from '#platform/env';
import { AppError, ConfigurationError } from '#platform/errors';

describe('Function: requireEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('returns the trimmed value of a set variable', () => {
    // Act & Assess
    expect(requireEnv('ORDERS_TABLE_NAME', { ORDERS_TABLE_NAME: ' orders \n' })).toBe('orders');
  });

  it.each([
    ['missing', {}],
    ['empty', { ORDERS_TABLE_NAME: '' }],
    ['blank', { ORDERS_TABLE_NAME: '   ' }],
  ])('throws a ConfigurationError naming the variable when it is %s', (_, env) => {
    // Act
    const act = () => requireEnv('ORDERS_TABLE_NAME', env);

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow('Missing required environment variable ORDERS_TABLE_NAME');
  });

  it('raises an error with a machine-readable code and its class name', () => {
    // Act
    let error: unknown;
    try {
      requireEnv('ORDERS_TABLE_NAME', {});
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'CONFIGURATION_ERROR' });
  });

  it('reads process.env by default', () => {
    // Prepare
    vi.stubEnv('REQUIRE_ENV_DEFAULT_SOURCE', 'from-process');

    // Act & Assess
    expect(requireEnv('REQUIRE_ENV_DEFAULT_SOURCE')).toBe('from-process');
  });

  it('fails the cold start of a handler whose table variable is missing', async () => {
    // Prepare
    vi.resetModules();
    vi.stubEnv('ORDERS_TABLE_NAME', '');

    // Act & Assess
    await expect(import('#functions/orders/handlers/get-order')).rejects.toThrow(
      'Missing required environment variable ORDERS_TABLE_NAME',
    );
  });
});

describe('Function: optionalEnv', () => {
  it.each([
    [{ KAFKA_CLIENT_ID: 'relay' }, 'relay'],
    [{ KAFKA_CLIENT_ID: ' relay ' }, 'relay'],
    [{ KAFKA_CLIENT_ID: '' }, 'order-saga'],
    [{ KAFKA_CLIENT_ID: '  ' }, 'order-saga'],
    [{}, 'order-saga'],
  ])('reads %j as "%s"', (env, expected) => {
    // Act & Assess
    expect(optionalEnv('KAFKA_CLIENT_ID', 'order-saga', env)).toBe(expected);
  });
});

describe('Function: intEnv', () => {
  it.each([
    [{ OUTBOX_CHUNK_SIZE: '25' }, 25],
    [{ OUTBOX_CHUNK_SIZE: ' 0 ' }, 0],
    [{}, 100],
    [{ OUTBOX_CHUNK_SIZE: '' }, 100],
  ])('reads %j as %d', (env, expected) => {
    // Act & Assess
    expect(intEnv('OUTBOX_CHUNK_SIZE', 100, env)).toBe(expected);
  });

  it.each(['-1', '1.5', 'ten', '9007199254740993', 'NaN'])(
    'rejects "%s" with a ConfigurationError',
    (raw) => {
      // Act
      const act = () => intEnv('OUTBOX_CHUNK_SIZE', 100, { OUTBOX_CHUNK_SIZE: raw });

      // Assess
      expect(act).toThrow(ConfigurationError);
      expect(act).toThrow(
        `Environment variable OUTBOX_CHUNK_SIZE must be a non-negative integer, got "${raw}"`,
      );
    },
  );
});

describe('Function: boolEnv', () => {
  it.each([
    [{ KAFKA_IDEMPOTENT_PRODUCER: 'true' }, true],
    [{ KAFKA_IDEMPOTENT_PRODUCER: 'FALSE' }, false],
    [{ KAFKA_IDEMPOTENT_PRODUCER: ' True ' }, true],
    [{}, true],
  ])('reads %j as %s', (env, expected) => {
    // Act & Assess
    expect(boolEnv('KAFKA_IDEMPOTENT_PRODUCER', true, env)).toBe(expected);
  });

  it.each(['yes', '1', 'on'])('rejects "%s" with a ConfigurationError', (raw) => {
    // Act
    const act = () => boolEnv('KAFKA_IDEMPOTENT_PRODUCER', true, { KAFKA_IDEMPOTENT_PRODUCER: raw });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(
      `Environment variable KAFKA_IDEMPOTENT_PRODUCER must be "true" or "false", got "${raw}"`,
    );
  });
});
