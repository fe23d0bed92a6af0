import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { FUNCTION_CONTRACTS } from '#functions/contracts';
import {
  ContractError,
  defineFunction,
  envNamesOf,
  SERVICE_NAMES,
  setting,
  topicsOf,
} from '#platform/contract';
import { PermanentError } from '#platform/errors';

type Definition = Parameters<typeof defineFunction>[0];

const definition = (overrides: Partial<Definition> = {}): Definition => ({
  name: 'create-order',
  service: 'orders',
  entry: 'orders/handlers/create-order.ts',
  trigger: 'POST /orders',
  description: 'POST /orders',
  tables: { ORDERS_TABLE_NAME: 'readWrite' },
  metrics: { OrdersCreated: 'Count' },
  ...overrides,
});

/** The ContractError defineFunction throws for `overrides`, or a failure when it throws none. */
function rejectionOf(overrides: Partial<Definition>): ContractError {
  try {
    defineFunction(definition(overrides));
  } catch (error) {
    if (error instanceof ContractError) return error;
    throw error;
  }
  throw new Error('Expected defineFunction to throw a ContractError');
}

describe('Function: defineFunction', () => {
  it('returns the contract with empty settings and consumes when none are given', () => {
    // Act
    const contract = defineFunction(definition());

    // Assess
    expect(contract).toMatchObject({
      name: 'create-order',
      service: 'orders',
      entry: 'orders/handlers/create-order.ts',
      trigger: 'POST /orders',
      description: 'POST /orders',
      tables: { ORDERS_TABLE_NAME: 'readWrite' },
      metrics: { OrdersCreated: 'Count' },
      consumes: [],
    });
    expect(Object.keys(contract.settings.shape)).toEqual([]);
  });

  it('keeps the settings and the consumed event types it is given', () => {
    // Act
    const contract = defineFunction(
      definition({
        settings: z.object({ OUTBOX_CHUNK_SIZE: setting.int(100) }),
        consumes: ['StockReserved', 'PaymentFailed'],
      }),
    );

    // Assess
    expect(Object.keys(contract.settings.shape)).toEqual(['OUTBOX_CHUNK_SIZE']);
    expect(contract.consumes).toEqual(['StockReserved', 'PaymentFailed']);
  });

  it('accepts a platform function without a service', () => {
    // Act
    const contract = defineFunction(definition({ name: 'relay', service: undefined }));

    // Assess
    expect(contract.service).toBeUndefined();
  });

  it.each(['CreateOrder', 'create_order', 'create order', '-create', '1-create', ''])(
    'rejects the function name "%s", which is not kebab-case',
    (name) => {
      // Act
      const error = rejectionOf({ name });

      // Assess
      expect(error.message).toBe(`Function name "${name}" must be kebab-case`);
    },
  );

  it.each(['orders/handlers/create-order.js', 'orders/handlers/create-order', 'orders/handlers/x.tsx'])(
    'rejects the entry "%s", which is not a .ts file',
    (entry) => {
      // Act
      const error = rejectionOf({ entry });

      // Assess
      expect(error.message).toBe(`create-order: entry "${entry}" must be a .ts file`);
    },
  );

  it.each(['ordersTable', 'orders_table_name', 'ORDERS-TABLE', '_ORDERS', '1ORDERS'])(
    'rejects the table variable "%s", which is not UPPER_SNAKE_CASE',
    (name) => {
      // Act
      const error = rejectionOf({ tables: { [name]: 'read' } });

      // Assess
      expect(error.message).toBe(`create-order: "${name}" is not UPPER_SNAKE_CASE`);
    },
  );

  it('rejects a setting name that is not UPPER_SNAKE_CASE', () => {
    // Act
    const error = rejectionOf({ settings: z.object({ chunkSize: setting.int(100) }) });

    // Assess
    expect(error.message).toBe('create-order: "chunkSize" is not UPPER_SNAKE_CASE');
  });

  it('rejects a variable declared both as a table and as a setting', () => {
    // Act
    const error = rejectionOf({
      tables: { ORDERS_TABLE_NAME: 'read', PRODUCTS_TABLE_NAME: 'read' },
      settings: z.object({ ORDERS_TABLE_NAME: setting.text(), OTHER: setting.int(1) }),
    });

    // Assess
    expect(error.message).toBe('create-order: ORDERS_TABLE_NAME declared twice');
  });

  it('raises a permanent INVALID_CONTRACT error', () => {
    // Act
    const error = rejectionOf({ name: 'Bad' });

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ name: 'ContractError', code: 'INVALID_CONTRACT', retryable: false });
  });
});

describe('Function: topicsOf', () => {
  it('lists each topic of the consumed event types once, sorted', () => {
    // Prepare
    const contract = {
      consumes: ['PaymentFailed', 'StockReserved', 'PaymentSucceeded', 'StockRejected'] as const,
    };

    // Act
    const topics = topicsOf(contract);

    // Assess
    expect(topics).toEqual(['inventory.events', 'payments.events']);
  });

  it('is empty for a function that consumes nothing', () => {
    // Act & Assess
    expect(topicsOf({ consumes: [] })).toEqual([]);
  });
});

describe('Function: envNamesOf', () => {
  it('lists the table variables and the settings, sorted', () => {
    // Prepare
    const contract = defineFunction(
      definition({
        tables: { PRODUCTS_TABLE_NAME: 'read', ORDERS_TABLE_NAME: 'readWrite' },
        settings: z.object({ KAFKA_AUTH: setting.oneOf(['iam', 'none'], 'iam') }),
      }),
    );

    // Act & Assess
    expect(envNamesOf(contract)).toEqual(['KAFKA_AUTH', 'ORDERS_TABLE_NAME', 'PRODUCTS_TABLE_NAME']);
  });
});

describe('Constant: FUNCTION_CONTRACTS', () => {
  it('names each function once per service, under a known service', () => {
    // Act
    const labels = FUNCTION_CONTRACTS.map((contract) => `${contract.service ?? 'platform'}/${contract.name}`);

    // Assess
    expect(new Set(labels).size).toBe(labels.length);
    for (const contract of FUNCTION_CONTRACTS) {
      if (contract.service !== undefined) expect(SERVICE_NAMES).toContain(contract.service);
    }
  });

  it('gives every function its own entry file', () => {
    // Act
    const entries = FUNCTION_CONTRACTS.map((contract) => contract.entry);

    // Assess
    expect(new Set(entries).size).toBe(entries.length);
  });
});
