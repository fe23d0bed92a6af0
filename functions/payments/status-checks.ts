import { isFinalStatus, nextWaitSeconds } from './domain/settlement';
import type { PaymentStatus, PaymentWorkflowInput } from './model';
import type { PaymentStore } from './payment-store';
import { type PaymentProvider, PspRejectedError, PspTransientError } from './provider';
import { isPast, PaymentResolver, type Resolved } from './resolution';

export interface StatusCheckDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  /** Timeout of one PSP call. */
  timeoutMs: number;
  /** Longest wait between two status checks. @default 30 */
  maxWaitSeconds?: number;
}

/** The status check task's answer to the workflow. */
export interface StatusCheckResult {
  settled: boolean;
  /** The deadline has passed (and the payment is not settled): the workflow fails the payment. */
  deadlinePassed: boolean;
  nextWaitSeconds: number;
  status: PaymentStatus;
}

/** What the deadline made of a payment: its status, and what this run did. */
export interface ExpireResult {
  status: PaymentStatus;
  resolved?: Resolved['kind'];
}

/**
 * The status checks of payments awaiting their outcome, run by the payment status workflow: each
 * check asks the PSP and settles a final answer; a payment whose order was cancelled meanwhile is
 * voided or refunded instead; the deadline voids what the PSP still holds open and fails the payment.
 */
export class PaymentStatusChecks {
  private readonly maxWaitSeconds: number;
  private readonly resolver: PaymentResolver;

  constructor(private readonly deps: StatusCheckDeps) {
    this.maxWaitSeconds = deps.maxWaitSeconds ?? 30;
    this.resolver = new PaymentResolver(deps);
  }

  /**
   * One status check: asks the PSP (re-submitting the authorization under the same idempotency key
   * when the PSP never received it, before the deadline) and settles a final answer, or voids or
   * refunds the payment when its order asked for a reversal. Otherwise reports the next, longer wait
   * (doubling, capped, never past the deadline) and whether the deadline has passed.
   */
  async checkStatus(input: PaymentWorkflowInput, now: Date): Promise<StatusCheckResult> {
    const { store, provider, timeoutMs } = this.deps;
    const payment = await store.mustGet(input.paymentId);
    const nextWait = nextWaitSeconds(input, now, this.maxWaitSeconds);
    if (payment.status !== 'AWAITING_STATUS') {
      return {
        settled: isFinalStatus(payment.status),
        deadlinePassed: false,
        nextWaitSeconds: nextWait,
        status: payment.status,
      };
    }
    const deadlinePassed = isPast(payment.deadline ?? input.deadline, now);
    // The deadline is the workflow's next step (`expire`); a check only settles or releases on request.
    const options = {
      now,
      deadlinePassed: false,
      counts: { attempts: payment.attempts, statusChecks: payment.statusChecks + 1 },
    };
    let resolved: Resolved | undefined;
    try {
      resolved = await this.resolver.lookUp(payment, options);
      if (resolved.kind === 'AUTHORIZE' && !deadlinePassed) {
        // The PSP never received the authorization: submit it again under the same idempotency key.
        const answer = await provider.authorize(
          {
            paymentId: payment.paymentId,
            amount: payment.amount,
            token: payment.token,
            splits: payment.splits,
          },
          { idempotencyKey: payment.paymentId, timeoutMs },
        );
        resolved = await this.resolver.apply(resolved.payment, answer, options);
      }
    } catch (error) {
      if (error instanceof PspRejectedError) {
        resolved = await this.rejected(payment.paymentId, error, options);
      } else if (!(error instanceof PspTransientError)) {
        throw error;
      }
    }
    if (resolved && resolved.kind !== 'AWAIT' && resolved.kind !== 'AUTHORIZE') {
      const status =
        resolved.kind === 'UNCHANGED' ? (await store.mustGet(payment.paymentId)).status : resolved.status;
      if (isFinalStatus(status)) {
        return { settled: true, deadlinePassed: false, nextWaitSeconds: 0, status };
      }
    }
    await store.countCheck(payment.paymentId, now);
    return {
      settled: false,
      deadlinePassed,
      nextWaitSeconds: nextWait,
      status: 'AWAITING_STATUS',
    };
  }

  /**
   * The deadline passed: one last status check; what the PSP still holds open is voided (or refunded,
   * if it was captured for an order already cancelled) and the payment fails with DEADLINE_EXCEEDED,
   * unless the PSP has a final answer by now. When the PSP cannot be reached, the payment fails all the
   * same and owes its release, which the reconciler carries out once the PSP answers.
   */
  async expire(input: PaymentWorkflowInput, now: Date): Promise<ExpireResult> {
    const { store } = this.deps;
    const payment = await store.mustGet(input.paymentId);
    if (payment.status !== 'AWAITING_STATUS') return { status: payment.status };
    // The workflow runs this step once the deadline it was given has passed.
    const resolved = await this.resolver.finish(payment, {
      now,
      deadlinePassed: true,
      counts: { attempts: payment.attempts, statusChecks: payment.statusChecks + 1 },
    });
    const status =
      resolved.kind === 'UNCHANGED' ? (await store.mustGet(payment.paymentId)).status : resolved.status;
    return { status, resolved: resolved.kind };
  }

  /** The PSP refused the status request itself (4xx): the payment fails with PSP_ERROR. */
  private async rejected(
    paymentId: string,
    error: PspRejectedError,
    options: { now: Date; counts: { attempts: number; statusChecks: number } },
  ): Promise<Resolved> {
    const payment = await this.deps.store.mustGet(paymentId);
    const outcome = {
      status: 'FAILED' as const,
      reason: 'PSP_ERROR' as const,
      detail: error.message.slice(0, 1024),
    };
    if (
      payment.status === 'AWAITING_STATUS' &&
      (await this.deps.store.settle(payment, 'AWAITING_STATUS', outcome, options.counts, options.now))
    ) {
      return { kind: 'SETTLED', status: 'FAILED', outcome };
    }
    return { kind: 'UNCHANGED', status: payment.status };
  }
}
