import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { documentClient } from '#platform/clients';
import { requireEnv } from '#platform/env';
import { logger, metrics, tracer } from '#platform/powertools';
import { HttpPaymentProvider } from '../http-provider';
import type { PaymentWorkflowInput } from '../model';
import { PaymentService, type StatusCheckResult } from '../service';
import { pspSettingsFromEnv } from '../settings';
import { WorkflowStartError } from '../workflow';

const psp = pspSettingsFromEnv();
const payments = new PaymentService({
  client: documentClient,
  paymentsTable: requireEnv('PAYMENTS_TABLE_NAME'),
  provider: new HttpPaymentProvider(psp.baseUrl),
  // The workflow runs this function; it never starts another one.
  workflow: {
    start: async (name) => {
      throw new WorkflowStartError(`The status check does not start workflows (asked for ${name})`);
    },
  },
  retry: {
    maxAttempts: 1,
    baseDelayMs: psp.baseDelayMs,
    maxDelayMs: psp.baseDelayMs,
    timeoutMs: psp.timeoutMs,
    sleep: async () => undefined,
    random: Math.random,
  },
  deadlineSeconds: 0,
});

/** What the payment status workflow sends: its state plus which step runs. */
export interface StatusTaskEvent extends PaymentWorkflowInput {
  /** `check` (default): one status check; `expire`: the deadline passed, fail unless settled now. */
  action?: 'check' | 'expire';
}

export class InvalidTaskInputError extends Error {
  override readonly name = 'InvalidTaskInputError';
}

function validate(event: StatusTaskEvent): void {
  const valid =
    typeof event?.paymentId === 'string' &&
    typeof event.orderId === 'string' &&
    typeof event.deadline === 'string' &&
    !Number.isNaN(Date.parse(event.deadline)) &&
    typeof event.waitSeconds === 'number' &&
    (event.action === undefined || event.action === 'check' || event.action === 'expire');
  if (!valid)
    throw new InvalidTaskInputError(`Invalid status task input: ${JSON.stringify(event).slice(0, 500)}`);
}

/**
 * Lambda task of the payment status workflow. `check` returns `{ settled, deadlinePassed,
 * nextWaitSeconds, status }` for the workflow's Choice state; `expire` fails the payment with
 * DEADLINE_EXCEEDED unless the PSP has settled it by now, and returns `{ settled: true, status }`.
 */
export const handler = middy<StatusTaskEvent, StatusCheckResult | { settled: true; status: string }>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    validate(event);
    logger.appendKeys({ paymentId: event.paymentId, orderId: event.orderId });
    const now = new Date();
    if (event.action === 'expire') {
      const { status } = await payments.expire(event, now);
      metrics.addMetric('PaymentDeadlinesReached', MetricUnit.Count, 1);
      logger.info('payment deadline reached', { status });
      return { settled: true, status };
    }
    const result = await payments.checkStatus(event, now);
    metrics.addMetric('PaymentStatusChecks', MetricUnit.Count, 1);
    if (result.settled) metrics.addMetric('PaymentsSettledByStatusCheck', MetricUnit.Count, 1);
    logger.info('payment status checked', { ...result });
    return result;
  });
