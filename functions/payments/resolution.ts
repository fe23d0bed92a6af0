import { type Resolution, resolve, resolveNothingToVoid } from './domain/resolution';
import { type FinalOutcome, releaseOf } from './domain/settlement';
import { isOpenStatus, type PaymentItem, type PaymentStatus } from './model';
import type { PaymentStore } from './payment-store';
import {
  type PaymentProvider,
  type PaymentStatusResult,
  PspConflictError,
  PspRejectedError,
  PspTransientError,
} from './provider';

export interface ResolverDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  /** Timeout of one PSP call. */
  timeoutMs: number;
}

export interface ResolveOptions {
  now: Date;
  /** The payment's deadline has passed: what the PSP still holds open is voided. */
  deadlinePassed: boolean;
  /** Recorded with a settlement. */
  counts: { attempts: number; statusChecks: number };
}

/** Where a payment stands after the resolver acted; `status` is its status afterwards. */
export type Resolved =
  /** Open and pending at the PSP: keep awaiting the status. */
  | { kind: 'AWAIT'; status: PaymentStatus; payment: PaymentItem; pspReference?: string }
  /** Open, and the PSP never received the authorization: the caller sends it. */
  | { kind: 'AUTHORIZE'; status: PaymentStatus; payment: PaymentItem }
  /** This run settled it. */
  | { kind: 'SETTLED'; status: 'SUCCEEDED' | 'FAILED'; outcome: FinalOutcome }
  /** This run recorded its release at the PSP. */
  | { kind: 'RELEASED'; status: 'VOIDED' | 'REFUNDED' }
  /** The deadline failed it while the PSP could not be reached; the release is owed (reconciler). */
  | { kind: 'FAILED_UNRELEASED'; status: 'FAILED'; error: Error }
  /** A release was owed, but the PSP holds nothing: closed. */
  | { kind: 'NOTHING_HELD'; status: PaymentStatus }
  /** Nothing to do: another run got there first, or it was finished already. */
  | { kind: 'UNCHANGED'; status: PaymentStatus }
  /** The PSP could not be reached; the payment is unchanged and its work is left for later. */
  | { kind: 'DEFERRED'; status: PaymentStatus; error: Error };

/** PSP calls and writes per resolution before the resolver gives up on answers that keep changing. */
const MAX_ROUNDS = 6;

/**
 * Carries out the resolution rules (`domain/resolution.ts`) for one payment: settles an outcome, voids
 * or refunds at the PSP and records the release with its events, and asks the PSP again after each
 * void or refund. A write that loses its condition reads the payment again and goes on from there, so
 * concurrent runs (the consumer, the status workflow, the reconciler) change a payment once. PSP
 * errors propagate: `PspTransientError` (the payment is unchanged by the failed call) and
 * `PspRejectedError`.
 */
export class PaymentResolver {
  constructor(private readonly deps: ResolverDeps) {}

  /** Asks the PSP for the payment's status and acts on the answer (see `apply`). */
  async lookUp(payment: PaymentItem, options: ResolveOptions): Promise<Resolved> {
    const answer = await this.deps.provider.getStatus(payment.paymentId, { timeoutMs: this.deps.timeoutMs });
    return this.apply(payment, answer, options);
  }

  /** Acts on the PSP's `answer` about `payment` until the payment needs nothing more from this run. */
  async apply(payment: PaymentItem, answer: PaymentStatusResult, options: ResolveOptions): Promise<Resolved> {
    const { store, provider, timeoutMs } = this.deps;
    let current = payment;
    let latest = answer;
    let next: Resolution | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const resolution = next ?? resolve(current, latest, options);
      next = undefined;
      switch (resolution.kind) {
        case 'NONE':
          return { kind: 'UNCHANGED', status: current.status };
        case 'AWAIT':
          return {
            kind: 'AWAIT',
            status: current.status,
            payment: current,
            ...('pspReference' in latest ? { pspReference: latest.pspReference } : {}),
          };
        case 'AUTHORIZE':
          return { kind: 'AUTHORIZE', status: current.status, payment: current };
        case 'SETTLE': {
          const { outcome } = resolution;
          if (await store.settle(current, current.status, outcome, options.counts, options.now)) {
            return { kind: 'SETTLED', status: outcome.status, outcome };
          }
          current = await store.mustGet(current.paymentId);
          break;
        }
        case 'VOID':
        case 'REFUND': {
          const released = await this.release(current.paymentId, () =>
            resolution.kind === 'VOID'
              ? provider.void(current.paymentId, { timeoutMs })
              : provider.refund(current.paymentId, { timeoutMs }),
          );
          if (released.status === 'NOT_FOUND' && resolution.kind === 'VOID') {
            next = resolveNothingToVoid(current);
          } else {
            latest = released;
          }
          break;
        }
        case 'RECORD_RELEASE': {
          const { release } = resolution;
          const { failureReason, events } = releaseOf(current, release, options.now, options.deadlinePassed);
          if (await store.release(current, release, failureReason, events, options.now)) {
            return { kind: 'RELEASED', status: release.to };
          }
          current = await store.mustGet(current.paymentId);
          break;
        }
        case 'NOTHING_HELD': {
          if (await store.releaseNotNeeded(current, options.now)) {
            return { kind: 'NOTHING_HELD', status: current.status };
          }
          current = await store.mustGet(current.paymentId);
          break;
        }
        default: {
          const unhandled: never = resolution;
          return unhandled;
        }
      }
    }
    throw new PspConflictError(
      `The PSP's answers about payment ${payment.paymentId} did not resolve it in ${MAX_ROUNDS} rounds (last: ${latest.status})`,
    );
  }

  /**
   * Finishes a payment whose deadline has passed (by its `deadline`, unless `deadlinePassed` says so),
   * or which owes a release: asks the PSP and settles, voids or refunds. When the PSP cannot be reached (or refuses the request), an open payment fails
   * now, owing its release (`FAILED_UNRELEASED`), so the order does not wait for the PSP; a payment
   * already failed or succeeded is left for a later run (`DEFERRED`).
   */
  async finish(
    payment: PaymentItem,
    options: Omit<ResolveOptions, 'deadlinePassed'> & { deadlinePassed?: boolean },
  ): Promise<Resolved> {
    const deadlinePassed = options.deadlinePassed ?? isPast(payment.deadline, options.now);
    try {
      return await this.lookUp(payment, { ...options, deadlinePassed });
    } catch (error) {
      if (!(error instanceof PspTransientError || error instanceof PspRejectedError)) throw error;
      const current = await this.deps.store.mustGet(payment.paymentId);
      if (!isOpenStatus(current.status) || !deadlinePassed) {
        return { kind: 'DEFERRED', status: current.status, error };
      }
      const detail = `No final answer from the PSP by the deadline ${current.deadline ?? ''} and the authorization could not be released yet (${error.message.slice(0, 300)}); it is released when the PSP answers`;
      if (
        await this.deps.store.failUnreleased(current, current.status, detail, options.counts, options.now)
      ) {
        return { kind: 'FAILED_UNRELEASED', status: 'FAILED', error };
      }
      return { kind: 'UNCHANGED', status: (await this.deps.store.mustGet(payment.paymentId)).status };
    }
  }

  /**
   * A void or refund. A conflict (409: the payment's state at the PSP does not allow it, e.g. it was
   * captured before the void arrived) is answered by asking for the payment's status instead.
   */
  private async release(
    paymentId: string,
    call: () => Promise<PaymentStatusResult>,
  ): Promise<PaymentStatusResult> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof PspConflictError)) throw error;
      return this.deps.provider.getStatus(paymentId, { timeoutMs: this.deps.timeoutMs });
    }
  }
}

/** Whether an ISO-8601 deadline has passed at `now`; a payment without one has none to pass. */
export function isPast(deadline: string | undefined, now: Date): boolean {
  if (!deadline) return false;
  const at = Date.parse(deadline);
  return !Number.isNaN(at) && now.getTime() >= at;
}
