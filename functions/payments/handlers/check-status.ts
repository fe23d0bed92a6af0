import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { PermanentError } from '#platform/errors';
import { instrumented, logger, metricsOf } from '#platform/powertools';
import { CheckStatusFn } from '../contract';
import type { PaymentWorkflowInput } from '../model';
import { PaymentStore } from '../payment-store';
import { pspClientOf } from '../psp-client';
import { PaymentStatusChecks, type StatusCheckResult } from '../status-checks';

const env = readEnv(CheckStatusFn);
const count = metricsOf(CheckStatusFn.metrics);
const checks = new PaymentStatusChecks({
  store: new PaymentStore(documentClient, env.PAYMENTS_TABLE_NAME),
  provider: pspClientOf(env, () => count('PspCircuitOpened')),
  timeoutMs: env.PSP_TIMEOUT_MS,
});

/** What the payment status workflow sends: its state plus which step runs. */
export interface StatusTaskEvent extends PaymentWorkflowInput {
  /** `check` (default): one status check; `expire`: the deadline passed, void and fail unless settled now. */
  action?: 'check' | 'expire';
}

/** The workflow sent an input this task cannot work with; retrying the same input cannot help. */
export class InvalidTaskInputError extends PermanentError {
  readonly code = 'INVALID_TASK_INPUT';
}

function validate(event: StatusTaskEvent): void {
  const valid =
    typeof event?.paymentId === 'string' &&
    typeof event.orderId === 'string' &&
    typeof event.deadline === 'string' &&
    !Number.isNaN(Date.parse(event.deadline)) &&
    typeof event.waitSeconds === 'number' &&
    (event.action === undefined || event.action === 'check' || event.action === 'expire');
  if (!valid) {
    throw new InvalidTaskInputError(`Invalid status task input: ${JSON.stringify(event).slice(0, 500)}`);
  }
}

/**
 * Lambda task of the payment status workflow. `check` returns `{ settled, deadlinePassed,
 * nextWaitSeconds, status }` for the workflow's Choice state; `expire` voids what the PSP still holds
 * open and fails the payment with DEADLINE_EXCEEDED unless the PSP has settled it by now, and returns
 * `{ settled: true, status }`.
 */
export const handler = instrumented<StatusTaskEvent, StatusCheckResult | { settled: true; status: string }>(
  async (event) => {
    validate(event);
    logger.appendKeys({
      paymentId: event.paymentId,
      orderId: event.orderId,
      ...(typeof event.correlationId === 'string' ? { correlationId: event.correlationId } : {}),
    });
    const now = new Date();
    if (event.action === 'expire') {
      const { status, resolved } = await checks.expire(event, now);
      count('PaymentDeadlinesReached');
      if (resolved === 'RELEASED') count(status === 'REFUNDED' ? 'PaymentsRefunded' : 'PaymentsVoided');
      if (resolved === 'FAILED_UNRELEASED') count('PaymentsFailedUnreleased');
      logger.info('payment deadline reached', { status, resolved });
      return { settled: true, status };
    }
    const result = await checks.checkStatus(event, now);
    count('PaymentStatusChecks');
    if (result.settled) count('PaymentsSettledByStatusCheck');
    logger.info('payment status checked', { ...result });
    return result;
  },
);
