import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  CONSUMER_DEAD_LETTER_TABLES,
  CONSUMER_METRICS,
  CONSUMER_SETTINGS,
  CONSUMER_TABLES,
  defineConsumer,
} from '#platform/consumer/contract';
import { ContractError, envNamesOf, setting } from '#platform/contract';
import { readEnv } from '#platform/env';

const definition = () => ({
  name: 'saga',
  service: 'orders' as const,
  entry: 'orders/handlers/saga-consumer.ts',
  description: 'Order saga',
  consumes: ['StockReserved', 'PaymentSucceeded'] as const,
  tables: { ORDERS_TABLE_NAME: 'readWrite' as const },
  settings: z.object({ SAGA_TIMEOUT_MS: setting.int(500) }),
  metrics: { OrdersConfirmed: 'Count' as const },
});

describe('Function: defineConsumer', () => {
  it('merges the consumer framework tables with the function tables', () => {
    // Act
    const contract = defineConsumer(definition());

    // Assess
    expect(contract.tables).toEqual({
      IDEMPOTENCY_TABLE_NAME: 'readWrite',
      DEAD_LETTER_TABLE_NAME: 'named',
      ORDERS_TABLE_NAME: 'readWrite',
    });
    expect(contract.tables).toMatchObject(CONSUMER_TABLES);
  });

  it('merges the consumer framework settings with the function settings', () => {
    // Act
    const contract = defineConsumer(definition());

    // Assess
    expect(Object.keys(contract.settings.shape).sort()).toEqual(
      [...Object.keys(CONSUMER_SETTINGS), 'SAGA_TIMEOUT_MS'].sort(),
    );
    expect(envNamesOf(contract)).toEqual([
      'CONSUMER_MAX_ATTEMPTS',
      'DEAD_LETTER_TABLE_NAME',
      'IDEMPOTENCY_TABLE_NAME',
      'ORDERS_TABLE_NAME',
      'SAGA_TIMEOUT_MS',
    ]);
  });

  it('takes the framework settings alone when the function has none', () => {
    // Act
    const { settings: _, ...withoutSettings } = definition();
    const contract = defineConsumer(withoutSettings);

    // Assess
    expect(Object.keys(contract.settings.shape)).toEqual(Object.keys(CONSUMER_SETTINGS));
  });

  it('merges the consumer framework metrics with the function metrics', () => {
    // Act
    const contract = defineConsumer(definition());

    // Assess
    expect(contract.metrics).toEqual({
      EventsConsumed: 'Count',
      EventsDeadLettered: 'Count',
      EventsSkippedDuplicate: 'Count',
      EventsParked: 'Count',
      ParkedDue: 'Count',
      OrdersConfirmed: 'Count',
    });
    expect(contract.metrics).toMatchObject(CONSUMER_METRICS);
  });

  it('describes its trigger by the topics and event types it consumes', () => {
    // Act
    const contract = defineConsumer(definition());

    // Assess
    expect(contract.consumes).toEqual(['StockReserved', 'PaymentSucceeded']);
    expect(contract.trigger).toBe('MSK: inventory.events, payments.events (StockReserved, PaymentSucceeded)');
  });

  it('defaults CONSUMER_MAX_ATTEMPTS to 3 and rejects fewer than one attempt', () => {
    // Prepare
    const contract = defineConsumer(definition());
    const tables = {
      IDEMPOTENCY_TABLE_NAME: 'idempotency',
      DEAD_LETTER_TABLE_NAME: 'dead-letters',
      ORDERS_TABLE_NAME: 'orders',
    };

    // Act
    const env = readEnv(contract, tables);
    const invalid = () => readEnv(contract, { ...tables, CONSUMER_MAX_ATTEMPTS: '0' });

    // Assess
    expect(env).toMatchObject({ CONSUMER_MAX_ATTEMPTS: 3, SAGA_TIMEOUT_MS: 500 });
    expect(invalid).toThrow('CONSUMER_MAX_ATTEMPTS is invalid');
  });

  it('rejects a function table that repeats a framework setting', () => {
    // Prepare
    const clashing = { ...definition(), tables: { CONSUMER_MAX_ATTEMPTS: 'read' as const } };

    // Act
    const define = () => defineConsumer(clashing);

    // Assess
    expect(define).toThrow(ContractError);
    expect(define).toThrow('saga: CONSUMER_MAX_ATTEMPTS declared twice');
  });

  it('has no idempotency table when the handler is its own idempotency', () => {
    // Act
    const contract = defineConsumer({ ...definition(), idempotency: 'handler' });

    // Assess
    expect(contract.tables).toEqual({ DEAD_LETTER_TABLE_NAME: 'named', ORDERS_TABLE_NAME: 'readWrite' });
    expect(contract.tables).toMatchObject(CONSUMER_DEAD_LETTER_TABLES);
    expect(envNamesOf(contract)).not.toContain('IDEMPOTENCY_TABLE_NAME');
    expect(Object.keys(contract.settings.shape)).toContain('CONSUMER_MAX_ATTEMPTS');
  });

  it('reads no idempotency table name from the environment when the handler is its own idempotency', () => {
    // Prepare
    const contract = defineConsumer({ ...definition(), idempotency: 'handler' });

    // Act
    const env = readEnv(contract, { DEAD_LETTER_TABLE_NAME: 'dead-letters', ORDERS_TABLE_NAME: 'orders' });

    // Assess
    expect(env).toMatchObject({ DEAD_LETTER_TABLE_NAME: 'dead-letters', ORDERS_TABLE_NAME: 'orders' });
    expect(env).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
    // @ts-expect-error: the contract declares no idempotency table, so its environment has none.
    expect(env.IDEMPOTENCY_TABLE_NAME).toBeUndefined();
  });

  it('keeps the Powertools idempotency table when asked for it by name', () => {
    // Act
    const contract = defineConsumer({ ...definition(), idempotency: 'powertools' });

    // Assess
    expect(contract.tables).toMatchObject(CONSUMER_TABLES);
  });

  it('rejects a function table named as the idempotency table even without Powertools idempotency', () => {
    // Prepare
    const clashing = {
      ...definition(),
      idempotency: 'handler' as const,
      tables: { IDEMPOTENCY_TABLE_NAME: 'readWrite' as const },
    };

    // Act
    const define = () => defineConsumer(clashing);

    // Assess
    expect(define).toThrow('saga: IDEMPOTENCY_TABLE_NAME belong to the consumer framework');
  });
});
