import { type FinalOutcome, finalOutcomeOf, isFinalStatus, nextWaitSeconds } from './domain/settlement';
import type { PaymentItem, PaymentStatus, PaymentWorkflowInput } from './model';
import type { PaymentStore } from './payment-store';
import {
  type AuthorizationResult,
  type PaymentProvider,
  PspRejectedError,
  PspTransientError,
} from './provider';

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

/**
 * The status checks of payments awaiting their outcome, run by the payment status workflow: each
 * check asks the PSP and settles a final answer; the deadline fails the payment.
 */
export class PaymentStatusChecks {
  private readonly maxWaitSeconds: number;

  constructor(private readonly deps: StatusCheckDeps) {
    this.maxWaitSeconds = deps.maxWaitSeconds ?? 30;
  }

  /**
   * One status check: asks the PSP (re-submitting the authorization under the same idempotency key
   * when the PSP never received it) and settles a final answer. Otherwise reports the next, longer
   * wait (doubling, capped, never past the deadline) and whether the deadline has passed.
   */
  async checkStatus(input: PaymentWorkflowInput, now: Date): Promise<StatusCheckResult> {
    const { store } = this.deps;
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
    const answer = await this.askPsp(payment);
    if (answer && 'final' in answer) {
      const counts = { attempts: payment.attempts, statusChecks: payment.statusChecks + 1 };
      const settled = await store.settle(payment, 'AWAITING_STATUS', answer.final, counts, now);
      const status = settled ? answer.final.status : (await store.mustGet(payment.paymentId)).status;
      return { settled: isFinalStatus(status), deadlinePassed: false, nextWaitSeconds: 0, status };
    }
    await store.countCheck(payment.paymentId, now);
    const deadline = Date.parse(payment.deadline ?? input.deadline);
    return {
      settled: false,
      deadlinePassed: now.getTime() >= deadline,
      nextWaitSeconds: nextWait,
      status: 'AWAITING_STATUS',
    };
  }

  /**
   * The deadline passed: one last status check, then the payment fails with DEADLINE_EXCEEDED unless
   * the PSP has a final answer by now.
   */
  async expire(input: PaymentWorkflowInput, now: Date): Promise<{ status: PaymentStatus }> {
    const { store } = this.deps;
    const payment = await store.mustGet(input.paymentId);
    if (payment.status !== 'AWAITING_STATUS') return { status: payment.status };
    const answer = await this.askPsp(payment);
    const outcome: FinalOutcome =
      answer && 'final' in answer
        ? answer.final
        : {
            status: 'FAILED',
            reason: 'DEADLINE_EXCEEDED',
            detail: `The PSP gave no final answer before ${payment.deadline ?? input.deadline}`,
            ...(payment.pspReference ? { pspReference: payment.pspReference } : {}),
          };
    const counts = { attempts: payment.attempts, statusChecks: payment.statusChecks + 1 };
    const settled = await store.settle(payment, 'AWAITING_STATUS', outcome, counts, now);
    return { status: settled ? outcome.status : (await store.mustGet(payment.paymentId)).status };
  }

  /** The PSP's final answer for an awaiting payment, if it has one; transient errors count as none. */
  private async askPsp(payment: PaymentItem): Promise<{ final: FinalOutcome } | { open: true } | undefined> {
    const { provider, timeoutMs } = this.deps;
    try {
      const found = await provider.getStatus(payment.paymentId, { timeoutMs });
      // The PSP never received the authorization: submit it again under the same idempotency key.
      const status: AuthorizationResult =
        found.status !== 'NOT_FOUND'
          ? found
          : await provider.authorize(
              {
                paymentId: payment.paymentId,
                amount: payment.amount,
                token: payment.token,
                splits: payment.splits,
              },
              { idempotencyKey: payment.paymentId, timeoutMs },
            );
      const final = finalOutcomeOf(status);
      return final ? { final } : { open: true };
    } catch (error) {
      if (error instanceof PspRejectedError) {
        return { final: { status: 'FAILED', reason: 'PSP_ERROR', detail: error.message.slice(0, 1024) } };
      }
      if (error instanceof PspTransientError) return undefined;
      throw error;
    }
  }
}
