import * as z from 'zod';
import { defineFunction, setting } from '#platform/contract';

/** The mock PSP: it writes the `psp` table (one item per payment it was asked for). */

export const MOCK_PSP_SETTINGS = {
  PSP_TIMEOUT_DELAY_MS: setting
    .int(5000)
    .describe('delay of answers meant to exceed the caller timeout (`tok_timeout`)'),
  PSP_SLOW_DELAY_MS: setting.int(800).describe('delay of `tok_slow`'),
  PSP_FAULT_RATE_5XX: setting.rate(0).describe('share of authorizations answered 503'),
  PSP_FAULT_RATE_TIMEOUT: setting.rate(0).describe('share of authorizations answered too late'),
  PSP_LATE_SETTLE_MS: setting
    .int(960_000)
    .describe('how long after its authorization a `tok_late` payment settles, unless voided first'),
};

export const AuthorizeApiKeyFn = defineFunction({
  name: 'authorize-api-key',
  service: 'mock-psp',
  entry: 'mock-psp/handlers/authorize-api-key.ts',
  trigger: 'API Gateway REQUEST authorizer of the mock PSP API (header `X-Api-Key`)',
  description: 'Mock PSP: admits calls that carry the API key kept in Secrets Manager',
  tables: {},
  settings: z.object({
    PSP_API_KEY_SECRET: setting
      .text()
      .describe('Secrets Manager secret (ARN) with the API key callers must send'),
  }),
  metrics: {},
});

export const CreatePaymentFn = defineFunction({
  name: 'create-payment',
  service: 'mock-psp',
  entry: 'mock-psp/handlers/create-payment.ts',
  trigger: 'POST /payments on the mock PSP API (header `Idempotency-Key` = paymentId)',
  description: 'Mock PSP: authorizes a payment, idempotent per paymentId',
  tables: { PSP_TABLE_NAME: 'readWrite' },
  settings: z.object(MOCK_PSP_SETTINGS),
  metrics: {},
});

export const ReleasePaymentFn = defineFunction({
  name: 'release-payment',
  service: 'mock-psp',
  entry: 'mock-psp/handlers/release-payment.ts',
  trigger: 'POST /payments/{paymentId}/void and /refund on the mock PSP API',
  description: 'Mock PSP: voids a pending or refunds a captured payment, idempotently',
  tables: { PSP_TABLE_NAME: 'readWrite' },
  settings: z.object(MOCK_PSP_SETTINGS),
  metrics: {},
});

export const GetPaymentFn = defineFunction({
  name: 'get-payment',
  service: 'mock-psp',
  entry: 'mock-psp/handlers/get-payment.ts',
  trigger: 'GET /payments/{paymentId} on the mock PSP API',
  description: 'Mock PSP: the status of a payment; pending ones resolve after checks',
  tables: { PSP_TABLE_NAME: 'readWrite' },
  settings: z.object(MOCK_PSP_SETTINGS),
  metrics: {},
});
