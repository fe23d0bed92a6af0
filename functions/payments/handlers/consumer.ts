import { SFNClient } from '@aws-sdk/client-sfn';
import { sleep } from '#platform/backoff';
import { documentClient, dynamoDb } from '#platform/clients';
import { kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { readEnv } from '#platform/env';
import { logger, metricsOf, tracer } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { Secrets } from '#platform/secrets';
import { PaymentAuthorization } from '../authorization';
import { PaymentConsumerFn } from '../contract';
import { paymentIdFor } from '../model';
import { PaymentStore } from '../payment-store';
import { pspClientOf } from '../psp-client';
import { PaymentReversals } from '../reversals';
import { StepFunctionsWorkflowStarter } from '../workflow';

const env = readEnv(PaymentConsumerFn);
const count = metricsOf(PaymentConsumerFn.metrics);
const store = new PaymentStore(documentClient, env.PAYMENTS_TABLE_NAME);
const secrets = new Secrets();
const provider = pspClientOf(env, () => count('PspCircuitOpened'), secrets);
const payments = new PaymentAuthorization({
  store,
  provider,
  workflow: new StepFunctionsWorkflowStarter(
    tracer.captureAWSv3Client(new SFNClient({ maxAttempts: 3 })),
    env.PAYMENT_WORKFLOW_ARN,
  ),
  retry: {
    maxAttempts: env.PSP_MAX_ATTEMPTS,
    baseDelayMs: env.PSP_RETRY_BASE_MS,
    maxDelayMs: 2_000,
    timeoutMs: env.PSP_TIMEOUT_MS,
    sleep,
    random: Math.random,
  },
  deadlineSeconds: env.PAYMENT_DEADLINE_SECONDS,
});
const reversals = new PaymentReversals({ store, provider, timeoutMs: env.PSP_TIMEOUT_MS });

// The PSP API key is read (and cached) now, as the first authorization would read it.
await primeOnInit([
  dynamoDbPrimer(dynamoDb, env.PAYMENTS_TABLE_NAME),
  { what: 'PSP API key', prime: () => secrets.text(env.PSP_API_KEY_SECRET) },
]);

/**
 * Payment consumer of `inventory.events` and `orders.events`: StockReserved authorizes the order's
 * amount at the PSP, with the per-seller split; final answers become PaymentSucceeded/PaymentFailed,
 * open ones start the payment status workflow. PaymentReversalRequested (a cancelled order) voids an
 * open payment or refunds a succeeded one (PaymentVoided/PaymentRefunded).
 */
export const handler = kafkaConsumerHandler(
  PaymentConsumerFn,
  env,
  {
    StockReserved: async (event, { now }) => {
      const started = Date.now();
      const outcome = await payments.authorize(event, now);
      count('PspAuthorizeLatencyMs', Date.now() - started);
      if (outcome.kind === 'SETTLED') {
        count(outcome.status === 'SUCCEEDED' ? 'PaymentsSucceeded' : 'PaymentsFailed');
      } else if (outcome.kind === 'AWAITING_STATUS') {
        count('PaymentsAwaitingStatus');
      } else if (outcome.kind === 'RELEASED') {
        count(outcome.status === 'VOIDED' ? 'PaymentsVoided' : 'PaymentsRefunded');
      }
      logger.info('payment handled', { ...outcome, paymentId: paymentIdFor(event.payload.orderId) });
    },
    PaymentReversalRequested: async (event, { now }) => {
      const outcome = await reversals.reverse(event, now);
      if (outcome.kind === 'RELEASED') {
        count(outcome.status === 'VOIDED' ? 'PaymentsVoided' : 'PaymentsRefunded');
      } else if (outcome.kind === 'REQUESTED' && outcome.status !== 'AUTHORIZING') {
        count('PaymentReversalsDeferred');
      }
      logger.info('payment reversal handled', { ...outcome, paymentId: event.payload.paymentId });
    },
  },
  // A record mostly waits for the PSP, and each touches its own order's payment: the partitions of a
  // batch (six per topic) are authorized side by side, each in order.
  { partitionConcurrency: 6 },
);
