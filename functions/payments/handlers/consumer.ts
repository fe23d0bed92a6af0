import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SFNClient } from '@aws-sdk/client-sfn';
import { documentClient } from '#platform/clients';
import { kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { intEnv, requireEnv } from '#platform/env';
import { logger, metrics, tracer } from '#platform/powertools';
import { HttpPaymentProvider } from '../http-provider';
import { paymentIdFor } from '../model';
import { PaymentService } from '../service';
import { pspSettingsFromEnv } from '../settings';
import { StepFunctionsWorkflowStarter } from '../workflow';

const psp = pspSettingsFromEnv();
const payments = new PaymentService({
  client: documentClient,
  paymentsTable: requireEnv('PAYMENTS_TABLE_NAME'),
  provider: new HttpPaymentProvider(psp.baseUrl),
  workflow: new StepFunctionsWorkflowStarter(
    tracer.captureAWSv3Client(new SFNClient({ maxAttempts: 3 })),
    requireEnv('PAYMENT_WORKFLOW_ARN'),
  ),
  retry: {
    maxAttempts: psp.maxAttempts,
    baseDelayMs: psp.baseDelayMs,
    maxDelayMs: 2_000,
    timeoutMs: psp.timeoutMs,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  },
  deadlineSeconds: intEnv('PAYMENT_DEADLINE_SECONDS', 900),
});

/**
 * Payment consumer of `inventory.events`: StockReserved authorizes the order's amount at the PSP, with
 * the per-seller split; final answers become PaymentSucceeded/PaymentFailed, open ones start the
 * payment status workflow.
 */
export const handler = kafkaConsumerHandler({
  service: 'payments',
  handlers: {
    StockReserved: async (event, { now }) => {
      const started = Date.now();
      const outcome = await payments.authorize(event, now);
      metrics.addMetric('PspAuthorizeLatencyMs', MetricUnit.Milliseconds, Date.now() - started);
      if (outcome.kind === 'SETTLED') {
        metrics.addMetric(
          outcome.status === 'SUCCEEDED' ? 'PaymentsSucceeded' : 'PaymentsFailed',
          MetricUnit.Count,
          1,
        );
      } else if (outcome.kind === 'AWAITING_STATUS') {
        metrics.addMetric('PaymentsAwaitingStatus', MetricUnit.Count, 1);
      }
      logger.info('payment handled', { ...outcome, paymentId: paymentIdFor(event.payload.orderId) });
    },
  },
});
