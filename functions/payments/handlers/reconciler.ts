import type { Context } from 'aws-lambda';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { instrumented, logger, metricsOf } from '#platform/powertools';
import { PaymentReconcilerFn } from '../contract';
import { PaymentStore } from '../payment-store';
import { pspClientOf } from '../psp-client';
import { PaymentReconciler, ReconcileIncompleteError } from '../reconciler';

const env = readEnv(PaymentReconcilerFn);
const count = metricsOf(PaymentReconcilerFn.metrics);
const reconciler = new PaymentReconciler({
  store: new PaymentStore(documentClient, env.PAYMENTS_TABLE_NAME),
  provider: pspClientOf(env, () => count('PspCircuitOpened')),
  timeoutMs: env.PSP_TIMEOUT_MS,
  graceSeconds: env.RECONCILE_GRACE_SECONDS,
  limit: env.RECONCILE_LIMIT,
});

/** Time kept back at the end of an invocation: no payment is started after that. */
const RESERVE_MS = 15_000;

/**
 * Scheduled payment reconciler: drives payments left open past their deadline, or owing a void or
 * refund, to a terminal, released state (see `PaymentReconciler`). Any payment it finds means
 * something went wrong before it (an alarm watches `PaymentsReconcileFound`).
 */
export const handler = instrumented(async (_event: unknown, context: Context) => {
  const report = await reconciler.run(new Date(), () => context.getRemainingTimeInMillis() > RESERVE_MS);
  count('PaymentsReconcileFound', report.found);
  count('PaymentsReconciled', report.finished);
  count('PaymentsVoided', report.voided);
  count('PaymentsRefunded', report.refunded);
  count('PaymentsFailedUnreleased', report.failedUnreleased);
  count('PaymentsReconcileDeferred', report.deferred + report.skipped);
  const summary = {
    found: report.found,
    finished: report.finished,
    voided: report.voided,
    refunded: report.refunded,
    failedUnreleased: report.failedUnreleased,
    deferred: report.deferred,
    skipped: report.skipped,
    errors: report.errors.length,
    // One line for the whole run: it names the sagas of the payments it read.
    correlationIds: report.correlationIds,
  };
  if (report.found > 0) logger.warn('payments reconciled', summary);
  for (const { paymentId, error } of report.errors)
    logger.error('payment not reconciled', { paymentId, error });
  if (report.errors.length > 0) {
    throw new ReconcileIncompleteError(
      `${report.errors.length} of ${report.found} payments could not be reconciled`,
      { cause: report.errors[0]?.error },
    );
  }
  return summary;
});
