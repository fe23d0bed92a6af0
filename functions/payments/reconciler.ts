import { RetryableError } from '#platform/errors';
import type { DuePayment, PaymentStore } from './payment-store';
import type { PaymentProvider } from './provider';
import { PaymentResolver, type Resolved } from './resolution';

export interface ReconcilerDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  /** Timeout of one PSP call. */
  timeoutMs: number;
  /** A payment is taken on this long after its `reconcileAt`, so the workflow and consumers go first. */
  graceSeconds: number;
  /** Payments taken on per run at most. */
  limit: number;
  /** Payments worked on at the same time. @default 4 */
  concurrency?: number;
}

/** What one run of the reconciler did. */
export interface ReconcileReport {
  /** Payments due in the index. */
  found: number;
  /** Brought to a terminal state or released by this run (or found so by another). */
  finished: number;
  /** Of those, voided and refunded at the PSP by this run. */
  voided: number;
  refunded: number;
  /** Failed at their deadline without the PSP; their release is owed (the next runs do it). */
  failedUnreleased: number;
  /** Left as they were: the PSP could not be reached (the next run tries again). */
  deferred: number;
  /** Not reached because the run ran out of time. */
  skipped: number;
  /** Payments whose handling failed with an error other than the PSP's. */
  errors: { paymentId: string; error: unknown }[];
  /** The correlationIds of the sagas whose payments this run read (for the run's log line). */
  correlationIds: string[];
}

/** Some payments could not be reconciled for a reason other than the PSP; the next run tries again. */
export class ReconcileIncompleteError extends RetryableError {
  readonly code = 'RECONCILE_INCOMPLETE';
}

/**
 * The payment reconciler, run on a schedule: finds payments whose work is overdue in the sparse
 * `reconcile` index (open past their deadline, or owing a release) and drives each to a terminal,
 * released state: an open payment settles what the PSP says, or is voided (refunded if it was captured
 * for a cancelled order) and fails with DEADLINE_EXCEEDED; a payment owing a release is voided or
 * refunded. It covers whatever a crash or an outage left in between: a consumer that died mid-call, a
 * workflow that never started or failed, a release the PSP could not take.
 */
export class PaymentReconciler {
  private readonly resolver: PaymentResolver;

  constructor(private readonly deps: ReconcilerDeps) {
    this.resolver = new PaymentResolver(deps);
  }

  /** One run: every due payment, `concurrency` at a time, until `hasTimeLeft` says stop. */
  async run(now: Date, hasTimeLeft: () => boolean = () => true): Promise<ReconcileReport> {
    const cutoff = new Date(now.getTime() - this.deps.graceSeconds * 1000);
    const due = await this.deps.store.findDue(cutoff, this.deps.limit);
    const report: ReconcileReport = {
      found: due.length,
      finished: 0,
      voided: 0,
      refunded: 0,
      failedUnreleased: 0,
      deferred: 0,
      skipped: 0,
      errors: [],
      correlationIds: [],
    };
    const queue = [...due];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (!hasTimeLeft()) {
          report.skipped += 1;
          continue;
        }
        try {
          const resolved = await this.reconcile(next, now, report);
          if (resolved.kind === 'FAILED_UNRELEASED') report.failedUnreleased += 1;
          else if (resolved.kind === 'DEFERRED') report.deferred += 1;
          else report.finished += 1;
          if (resolved.kind === 'RELEASED') {
            if (resolved.status === 'VOIDED') report.voided += 1;
            else report.refunded += 1;
          }
        } catch (error) {
          report.errors.push({ paymentId: next.paymentId, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.concurrency ?? 4, due.length) }, worker));
    return report;
  }

  /** One payment from the index, read again (the index lags behind the table). */
  private async reconcile(found: DuePayment, now: Date, report: ReconcileReport): Promise<Resolved> {
    const payment = await this.deps.store.mustGet(found.paymentId);
    report.correlationIds.push(payment.correlationId);
    if (!payment.reconcileShard) return { kind: 'UNCHANGED', status: payment.status };
    return this.resolver.finish(payment, {
      now,
      counts: { attempts: payment.attempts, statusChecks: payment.statusChecks + 1 },
    });
  }
}
