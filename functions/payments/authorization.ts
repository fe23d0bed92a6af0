import {
  createEvent,
  type DomainEventOf,
  type PaymentFailureReason,
  type PaymentPendingReason,
} from '#events';
import { type FinalOutcome, finalOutcomeOf } from './domain/settlement';
import { splitBySeller } from './domain/split';
import { PaymentInvariantError } from './errors';
import {
  executionNameFor,
  PAYMENT_SOURCE,
  type PaymentItem,
  type PaymentStatus,
  paymentIdFor,
  paymentKey,
} from './model';
import type { PaymentStore } from './payment-store';
import { type PaymentProvider, PspRejectedError } from './provider';
import { authorizeWithRetries, type RetryPolicy } from './retry';
import type { WorkflowStarter } from './workflow';

export interface AuthorizationDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  workflow: WorkflowStarter;
  retry: RetryPolicy;
  /** How long the status workflow may take before the payment fails. */
  deadlineSeconds: number;
  /** First wait of the status workflow. @default 2 */
  initialWaitSeconds?: number;
}

/** What became of a StockReserved event. */
export type AuthorizeOutcome =
  | { kind: 'SETTLED'; status: 'SUCCEEDED' | 'FAILED'; attempts: number; reason?: PaymentFailureReason }
  | { kind: 'AWAITING_STATUS'; attempts: number }
  | { kind: 'ALREADY_HANDLED'; status: PaymentStatus };

/**
 * Authorizes the payment of a reserved order: creates the payment item, calls the PSP with short
 * retries and settles a final answer. Anything still open (PENDING, timeouts, persistent 5xx) hands
 * the payment to status checks (AWAITING_STATUS + PaymentPending in one transaction) and starts the
 * status workflow named after the payment. A redelivery resumes where the previous run stopped and
 * never settles twice.
 */
export class PaymentAuthorization {
  private readonly initialWaitSeconds: number;

  constructor(private readonly deps: AuthorizationDeps) {
    this.initialWaitSeconds = deps.initialWaitSeconds ?? 2;
  }

  async authorize(event: DomainEventOf<'StockReserved'>, now: Date): Promise<AuthorizeOutcome> {
    const { orderId, reservationId, lines, total, payment } = event.payload;
    const paymentId = paymentIdFor(orderId);
    const { payment: current } = await this.deps.store.createOrGet({
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
      correlationId: event.correlationId,
      causationId: event.eventId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    if (current.status !== 'AUTHORIZING') return this.resume(current);

    let attempts = current.attempts;
    let open: { pspReference?: string; lastError: string; reason: PaymentPendingReason };
    try {
      const attempt = await authorizeWithRetries(
        this.deps.provider,
        { paymentId, amount: current.amount, token: current.token, splits: current.splits },
        this.deps.retry,
      );
      attempts += attempt.attempts;
      if (attempt.kind === 'result') {
        const outcome = finalOutcomeOf(attempt.result);
        if (outcome) return this.settleOrResume(current, outcome, attempts, now);
        open = {
          pspReference: attempt.result.pspReference,
          lastError: 'PSP answered PENDING',
          reason: 'PSP_PENDING',
        };
      } else {
        const timedOut = (attempt.error.cause as { name?: string } | undefined)?.name === 'TimeoutError';
        open = { lastError: attempt.error.message, reason: timedOut ? 'PSP_TIMEOUT' : 'PSP_UNAVAILABLE' };
      }
    } catch (error) {
      if (!(error instanceof PspRejectedError)) throw error;
      const outcome: FinalOutcome = {
        status: 'FAILED',
        reason: 'PSP_ERROR',
        detail: error.message.slice(0, 1024),
      };
      return this.settleOrResume(current, outcome, attempts + 1, now);
    }

    const deadline = new Date(now.getTime() + this.deps.deadlineSeconds * 1000).toISOString();
    const pending = createEvent(
      'PaymentPending',
      {
        orderId: current.orderId,
        paymentId,
        reservationId: current.reservationId,
        amount: current.amount,
        reason: open.reason,
        deadline,
        attempts: Math.max(1, attempts),
      },
      {
        source: PAYMENT_SOURCE,
        aggregateId: current.orderId,
        correlationId: current.correlationId,
        causationId: current.causationId,
        now,
      },
    );
    const handed = await this.deps.store.handOver(
      paymentId,
      { attempts, deadline, lastError: open.lastError, pspReference: open.pspReference },
      pending,
      now,
    );
    if (!handed) return this.resume(await this.deps.store.mustGet(paymentId));
    await this.startWorkflow({ ...current, deadline });
    return { kind: 'AWAITING_STATUS', attempts };
  }

  /** Continues a payment found already created: final stays final, awaiting makes sure the workflow runs. */
  private async resume(payment: PaymentItem): Promise<AuthorizeOutcome> {
    if (payment.status === 'AWAITING_STATUS') await this.startWorkflow(payment);
    return { kind: 'ALREADY_HANDLED', status: payment.status };
  }

  private async settleOrResume(
    payment: PaymentItem,
    outcome: FinalOutcome,
    attempts: number,
    now: Date,
  ): Promise<AuthorizeOutcome> {
    const settled = await this.deps.store.settle(
      payment,
      'AUTHORIZING',
      outcome,
      { attempts, statusChecks: payment.statusChecks },
      now,
    );
    if (settled) {
      return {
        kind: 'SETTLED',
        status: outcome.status,
        attempts,
        ...(outcome.status === 'FAILED' ? { reason: outcome.reason } : {}),
      };
    }
    return this.resume(await this.deps.store.mustGet(payment.paymentId));
  }

  private async startWorkflow(payment: PaymentItem): Promise<void> {
    if (!payment.deadline) {
      throw new PaymentInvariantError(`Payment ${payment.paymentId} awaits its status without a deadline`);
    }
    await this.deps.workflow.start(executionNameFor(payment.paymentId), {
      paymentId: payment.paymentId,
      orderId: payment.orderId,
      deadline: payment.deadline,
      waitSeconds: this.initialWaitSeconds,
    });
  }
}
