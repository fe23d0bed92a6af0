import {
  continueTrace,
  createEvent,
  type DomainEventOf,
  type PaymentFailureReason,
  type PaymentPendingReason,
} from '#events';
import { splitBySeller } from './domain/split';
import { PaymentInvariantError } from './errors';
import {
  executionNameFor,
  PAYMENT_SOURCE,
  type PaymentItem,
  type PaymentStatus,
  paymentIdFor,
  paymentKey,
  reconcileShardOf,
} from './model';
import type { PaymentStore } from './payment-store';
import { type PaymentProvider, PspConflictError, PspRejectedError, PspTransientError } from './provider';
import { PaymentResolver, type Resolved } from './resolution';
import { authorizeWithRetries, type RetryPolicy } from './retry';
import { WorkflowStartError, type WorkflowStarter } from './workflow';

export interface AuthorizationDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  workflow: WorkflowStarter;
  retry: RetryPolicy;
  /** How long a payment may take to get its outcome (from creation, and again once it awaits its status). */
  deadlineSeconds: number;
  /** First wait of the status workflow. @default 2 */
  initialWaitSeconds?: number;
}

/** What became of a StockReserved event. */
export type AuthorizeOutcome =
  | { kind: 'SETTLED'; status: 'SUCCEEDED' | 'FAILED'; attempts: number; reason?: PaymentFailureReason }
  | { kind: 'AWAITING_STATUS'; attempts: number; reason: PaymentPendingReason }
  /** A reversal was requested while the payment was authorized: its money was given back at once. */
  | { kind: 'RELEASED'; status: 'VOIDED' | 'REFUNDED'; attempts: number }
  | { kind: 'ALREADY_HANDLED'; status: PaymentStatus };

/** How many times the workflow of one payment is restarted within one event before giving up. */
const MAX_WORKFLOW_RUNS_PER_EVENT = 5;

/**
 * Authorizes the payment of a reserved order: creates the payment item (AUTHORIZING, with its
 * deadline and in the reconcile index), calls the PSP with short retries and settles a final answer.
 * Anything still open (PENDING, timeouts, persistent 5xx, rejected credentials, an open circuit) hands
 * the payment to status checks (AWAITING_STATUS + PaymentPending in one transaction) and starts the
 * status workflow. A payment found AUTHORIZING (a run that crashed or is still running) asks the PSP
 * for its status before sending the authorization again, so a redelivery after the PSP's idempotency
 * window cannot charge twice. A redelivery resumes where the previous run stopped, never settles
 * twice, and restarts a workflow whose execution ended while the payment still awaits its status.
 */
export class PaymentAuthorization {
  private readonly initialWaitSeconds: number;
  private readonly resolver: PaymentResolver;

  constructor(private readonly deps: AuthorizationDeps) {
    this.initialWaitSeconds = deps.initialWaitSeconds ?? 2;
    this.resolver = new PaymentResolver({
      store: deps.store,
      provider: deps.provider,
      timeoutMs: deps.retry.timeoutMs,
    });
  }

  async authorize(event: DomainEventOf<'StockReserved'>, now: Date): Promise<AuthorizeOutcome> {
    const { orderId, reservationId, lines, total, payment } = event.payload;
    const paymentId = paymentIdFor(orderId);
    const deadline = this.deadlineFrom(now);
    const { created, payment: current } = await this.deps.store.createOrGet({
      ...paymentKey(paymentId),
      entity: 'PAYMENT',
      paymentId,
      orderId,
      reservationId,
      status: 'AUTHORIZING',
      amount: { amountMinor: total.amountMinor, currency: total.currency },
      splits: splitBySeller(lines, total),
      token: payment.token,
      attempts: 0,
      statusChecks: 0,
      deadline,
      reconcileShard: reconcileShardOf(paymentId),
      reconcileAt: deadline,
      correlationId: event.correlationId,
      causationId: event.eventId,
      ...(event.trace?.traceparent ? { traceparent: event.trace.traceparent } : {}),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    if (current.status !== 'AUTHORIZING') return this.resume(current, now);
    if (!created) {
      // Left AUTHORIZING by another run: the PSP may have the authorization already, and after its
      // idempotency window a second one would charge twice. Ask first; send only what it never got.
      try {
        const resolved = await this.resolver.lookUp(current, this.options(current, current.attempts, now));
        if (resolved.kind !== 'AUTHORIZE')
          return await this.outcomeOf(current, resolved, current.attempts, now);
      } catch (error) {
        if (!(error instanceof PspTransientError || error instanceof PspRejectedError)) throw error;
        return this.handOver(current, current.attempts, this.openAfter(error), now);
      }
    }
    return this.send(current, now);
  }

  /** Sends the authorization with short retries and acts on what the PSP answers. */
  private async send(payment: PaymentItem, now: Date): Promise<AuthorizeOutcome> {
    let attempt: Awaited<ReturnType<typeof authorizeWithRetries>>;
    try {
      attempt = await authorizeWithRetries(
        this.deps.provider,
        {
          paymentId: payment.paymentId,
          amount: payment.amount,
          token: payment.token,
          splits: payment.splits,
        },
        this.deps.retry,
      );
    } catch (error) {
      if (!(error instanceof PspRejectedError)) throw error;
      return this.rejected(payment, error, payment.attempts + 1, now);
    }
    const attempts = payment.attempts + attempt.attempts;
    const options = this.options(payment, attempts, now);
    try {
      if (attempt.kind === 'result') {
        return this.outcomeOf(
          payment,
          await this.resolver.apply(payment, attempt.result, options),
          attempts,
          now,
        );
      }
      if (!(attempt.error instanceof PspConflictError)) {
        return await this.handOver(payment, attempts, this.openAfter(attempt.error), now);
      }
      // A conflict is no decline: what the PSP has for the key decides.
      return this.outcomeOf(payment, await this.resolver.lookUp(payment, options), attempts, now);
    } catch (error) {
      // The PSP stopped answering while the answer was acted on (a status lookup, a refund of a
      // payment reversed meanwhile): status checks carry on from where it stands.
      if (!(error instanceof PspTransientError)) throw error;
      return this.handOver(payment, attempts, this.openAfter(error), now);
    }
  }

  /** A request the PSP refused (4xx): the payment fails with PSP_ERROR, unless another run moved it on. */
  private async rejected(
    payment: PaymentItem,
    error: PspRejectedError,
    attempts: number,
    now: Date,
  ): Promise<AuthorizeOutcome> {
    const settled = await this.deps.store.settle(
      payment,
      'AUTHORIZING',
      { status: 'FAILED', reason: 'PSP_ERROR', detail: error.message.slice(0, 1024) },
      { attempts, statusChecks: payment.statusChecks },
      now,
    );
    if (settled) return { kind: 'SETTLED', status: 'FAILED', attempts, reason: 'PSP_ERROR' };
    return this.resume(await this.deps.store.mustGet(payment.paymentId), now);
  }

  /** What the resolver's result means for this event. */
  private async outcomeOf(
    payment: PaymentItem,
    resolved: Resolved,
    attempts: number,
    now: Date,
  ): Promise<AuthorizeOutcome> {
    switch (resolved.kind) {
      case 'SETTLED':
        return {
          kind: 'SETTLED',
          status: resolved.status,
          attempts,
          ...(resolved.outcome.status === 'FAILED' ? { reason: resolved.outcome.reason } : {}),
        };
      case 'RELEASED':
        return { kind: 'RELEASED', status: resolved.status, attempts };
      case 'AWAIT':
        return this.handOver(
          { ...resolved.payment, ...(resolved.pspReference ? { pspReference: resolved.pspReference } : {}) },
          attempts,
          { reason: 'PSP_PENDING', lastError: 'PSP answered PENDING' },
          now,
        );
      case 'AUTHORIZE':
        // The PSP has nothing for the key after a conflict: status checks send it again later.
        return this.handOver(
          resolved.payment,
          attempts,
          { reason: 'PSP_UNAVAILABLE', lastError: 'The PSP answered 409 and has no payment for the key' },
          now,
        );
      default:
        return this.resume(await this.deps.store.mustGet(payment.paymentId), now);
    }
  }

  /**
   * Hands an AUTHORIZING payment to status checks: AWAITING_STATUS with a new deadline and
   * PaymentPending in one transaction, then the status workflow. Resumes instead when another run
   * moved the payment on.
   */
  private async handOver(
    payment: PaymentItem,
    attempts: number,
    open: { reason: PaymentPendingReason; lastError: string },
    now: Date,
  ): Promise<AuthorizeOutcome> {
    const deadline = this.deadlineFrom(now);
    const pending = createEvent(
      'PaymentPending',
      {
        orderId: payment.orderId,
        paymentId: payment.paymentId,
        reservationId: payment.reservationId,
        amount: payment.amount,
        reason: open.reason,
        deadline,
        attempts: Math.max(1, attempts),
      },
      {
        source: PAYMENT_SOURCE,
        aggregateId: payment.orderId,
        correlationId: payment.correlationId,
        causationId: payment.causationId,
        now,
        trace: continueTrace({ traceparent: payment.traceparent }),
      },
    );
    const handed = await this.deps.store.handOver(
      payment.paymentId,
      { attempts, deadline, lastError: open.lastError, pspReference: payment.pspReference },
      pending,
      now,
    );
    if (!handed) return this.resume(await this.deps.store.mustGet(payment.paymentId), now);
    await this.ensureWorkflow({ ...payment, status: 'AWAITING_STATUS', deadline }, now);
    return { kind: 'AWAITING_STATUS', attempts, reason: open.reason };
  }

  /** Continues a payment found past AUTHORIZING: final stays final, awaiting makes sure the workflow runs. */
  private async resume(payment: PaymentItem, now: Date): Promise<AuthorizeOutcome> {
    if (payment.status === 'AWAITING_STATUS') await this.ensureWorkflow(payment, now);
    return { kind: 'ALREADY_HANDLED', status: payment.status };
  }

  /**
   * Makes sure the payment's status workflow runs: starts the payment's current run; when an execution
   * of that run already ended while the payment still awaits its status (it failed, timed out or was
   * stopped), moves the payment to its next run (conditionally, so concurrent resumes agree on one)
   * and starts that.
   */
  private async ensureWorkflow(payment: PaymentItem, now: Date): Promise<void> {
    let current = payment;
    for (let started = 0; started < MAX_WORKFLOW_RUNS_PER_EVENT; started++) {
      if (!current.deadline) {
        throw new PaymentInvariantError(`Payment ${current.paymentId} awaits its status without a deadline`);
      }
      const run = current.workflowRun ?? 1;
      const start = await this.deps.workflow.start(executionNameFor(current.paymentId, run), {
        paymentId: current.paymentId,
        orderId: current.orderId,
        deadline: current.deadline,
        waitSeconds: this.initialWaitSeconds,
        correlationId: current.correlationId,
      });
      if (start !== 'ENDED') return;
      const next = await this.deps.store.nextWorkflowRun(current.paymentId, run, now);
      if (next) {
        current = next;
        continue;
      }
      current = await this.deps.store.mustGet(current.paymentId);
      if (current.status !== 'AWAITING_STATUS') return;
    }
    throw new WorkflowStartError(
      `The status workflow of payment ${payment.paymentId} ended ${MAX_WORKFLOW_RUNS_PER_EVENT} times in a row`,
    );
  }

  private options(payment: PaymentItem, attempts: number, now: Date) {
    return { now, deadlinePassed: false, counts: { attempts, statusChecks: payment.statusChecks } };
  }

  private openAfter(error: PspTransientError | PspRejectedError): {
    reason: PaymentPendingReason;
    lastError: string;
  } {
    const timedOut = error instanceof PspTransientError && error.timedOut;
    return { reason: timedOut ? 'PSP_TIMEOUT' : 'PSP_UNAVAILABLE', lastError: error.message };
  }

  private deadlineFrom(now: Date): string {
    return new Date(now.getTime() + this.deps.deadlineSeconds * 1000).toISOString();
  }
}
