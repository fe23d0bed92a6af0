import * as z from 'zod';
import { defineConsumer } from '#platform/consumer/contract';
import { defineFunction, setting } from '#platform/contract';

/** Payments: it writes the `payments` table (payments, outbox) and calls the PSP. */

/** How the payment functions reach the PSP. */
export const PSP_CLIENT_SETTINGS = {
  PSP_BASE_URL: setting
    .url()
    .describe("base URL of the PSP API (the mock PSP's own REST API, or context `pspBaseUrl`)"),
  PSP_API_KEY_SECRET: setting
    .text()
    .describe(
      "Secrets Manager secret (ARN) with the PSP API key, sent as `X-Api-Key` (the mock PSP's generated key, or context `pspApiKeySecret`)",
    ),
  PSP_TIMEOUT_MS: setting.int(2000, { min: 1 }).describe('timeout of one PSP call'),
  PSP_MAX_ATTEMPTS: setting
    .int(3, { min: 1 })
    .describe('authorization calls per StockReserved, the first included'),
  PSP_RETRY_BASE_MS: setting.int(100).describe('ceiling of the first retry backoff (doubling, full jitter)'),
  PSP_CIRCUIT_FAILURES: setting
    .int(5, { min: 1 })
    .describe('PSP calls failing without an answer within 60 s that open the PSP circuit (per container)'),
  PSP_CIRCUIT_OPEN_SECONDS: setting
    .int(30, { min: 1 })
    .describe('how long an open PSP circuit fails calls fast before one trial call'),
};

/** Metrics of every function that calls the PSP. */
const PSP_CLIENT_METRICS = {
  PspCircuitOpened: 'Count',
  PaymentsVoided: 'Count',
  PaymentsRefunded: 'Count',
} as const;

export const PaymentConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'payments',
  entry: 'payments/handlers/consumer.ts',
  description:
    'Authorizes reserved orders at the PSP; hands open outcomes to the status workflow; voids or refunds the payments of cancelled orders',
  consumes: ['StockReserved', 'PaymentReversalRequested'],
  tables: { PAYMENTS_TABLE_NAME: 'readWrite' },
  settings: z.object({
    ...PSP_CLIENT_SETTINGS,
    PAYMENT_DEADLINE_SECONDS: setting
      .int(900, { min: 1 })
      .describe(
        'how long a payment may take to get its outcome, from creation and again once it awaits its status',
      ),
    PAYMENT_WORKFLOW_ARN: setting.text().describe('the payment status workflow (Step Functions)'),
  }),
  metrics: {
    ...PSP_CLIENT_METRICS,
    PspAuthorizeLatencyMs: 'Milliseconds',
    PaymentsSucceeded: 'Count',
    PaymentsFailed: 'Count',
    PaymentsAwaitingStatus: 'Count',
    PaymentReversalsDeferred: 'Count',
  },
});

export const CheckStatusFn = defineFunction({
  name: 'check-status',
  service: 'payments',
  entry: 'payments/handlers/check-status.ts',
  trigger:
    'Lambda task of the payment status workflow (`{ action: check | expire, paymentId, orderId, deadline, waitSeconds }`)',
  description: 'Payment status workflow task: checks the PSP, settles, or voids and fails at the deadline',
  tables: { PAYMENTS_TABLE_NAME: 'readWrite' },
  settings: z.object(PSP_CLIENT_SETTINGS),
  metrics: {
    ...PSP_CLIENT_METRICS,
    PaymentStatusChecks: 'Count',
    PaymentsSettledByStatusCheck: 'Count',
    PaymentDeadlinesReached: 'Count',
    PaymentsFailedUnreleased: 'Count',
  },
});

export const PaymentReconcilerFn = defineFunction({
  name: 'reconciler',
  service: 'payments',
  entry: 'payments/handlers/reconciler.ts',
  trigger: 'schedule (every 5 minutes)',
  description:
    'Drives payments left open past their deadline, or owing a void or refund, to a terminal, released state',
  tables: { PAYMENTS_TABLE_NAME: 'readWrite' },
  settings: z.object({
    ...PSP_CLIENT_SETTINGS,
    RECONCILE_GRACE_SECONDS: setting
      .int(300)
      .describe(
        'how long after its deadline (or its reversal request) a payment is left to the workflow and consumers',
      ),
    RECONCILE_LIMIT: setting.int(100, { min: 1 }).describe('payments taken on per run at most'),
  }),
  metrics: {
    ...PSP_CLIENT_METRICS,
    PaymentsReconcileFound: 'Count',
    PaymentsReconciled: 'Count',
    PaymentsFailedUnreleased: 'Count',
    PaymentsReconcileDeferred: 'Count',
  },
});
