import { z } from 'zod';
import { defineConsumer } from '#platform/consumer/contract';
import { defineFunction, setting } from '#platform/contract';

/** Payments: it writes the `payments` table (payments, outbox) and calls the PSP. */

/** How the payment functions reach the PSP. */
export const PSP_CLIENT_SETTINGS = {
  PSP_BASE_URL: setting
    .url()
    .describe('base URL of the PSP API (the mock PSP on the REST API, or context `pspBaseUrl`)'),
  PSP_TIMEOUT_MS: setting.int(2000, { min: 1 }).describe('timeout of one PSP call'),
  PSP_MAX_ATTEMPTS: setting
    .int(3, { min: 1 })
    .describe('authorization calls per StockReserved, the first included'),
  PSP_RETRY_BASE_MS: setting.int(100).describe('ceiling of the first retry backoff (doubling, full jitter)'),
};

export const PaymentConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'payments',
  entry: 'payments/handlers/consumer.ts',
  description: 'Authorizes reserved orders at the PSP; hands open outcomes to the status workflow',
  consumes: ['StockReserved'],
  tables: { PAYMENTS_TABLE_NAME: 'readWrite' },
  settings: z.object({
    ...PSP_CLIENT_SETTINGS,
    PAYMENT_DEADLINE_SECONDS: setting
      .int(900, { min: 1 })
      .describe('how long a payment may await its final status'),
    PAYMENT_WORKFLOW_ARN: setting.text().describe('the payment status workflow (Step Functions)'),
  }),
  metrics: {
    PspAuthorizeLatencyMs: 'Milliseconds',
    PaymentsSucceeded: 'Count',
    PaymentsFailed: 'Count',
    PaymentsAwaitingStatus: 'Count',
  },
});

export const CheckStatusFn = defineFunction({
  name: 'check-status',
  service: 'payments',
  entry: 'payments/handlers/check-status.ts',
  trigger:
    'Lambda task of the payment status workflow (`{ action: check | expire, paymentId, orderId, deadline, waitSeconds }`)',
  description: 'Payment status workflow task: checks the PSP, settles, or fails at the deadline',
  tables: { PAYMENTS_TABLE_NAME: 'readWrite' },
  settings: z.object(PSP_CLIENT_SETTINGS),
  metrics: {
    PaymentStatusChecks: 'Count',
    PaymentsSettledByStatusCheck: 'Count',
    PaymentDeadlinesReached: 'Count',
  },
});
