import type { DomainEventOf } from '#events';
import { RetryableError } from '#platform/errors';
import type { PaymentStatus } from './model';
import type { PaymentStore } from './payment-store';
import type { PaymentProvider } from './provider';
import { isPast, PaymentResolver, type Resolved } from './resolution';

export interface ReversalDeps {
  store: PaymentStore;
  provider: PaymentProvider;
  /** Timeout of one PSP call. */
  timeoutMs: number;
}

/** A reversal names a payment the table does not hold yet: its StockReserved is still on its way. */
export class PaymentNotCreatedYetError extends RetryableError {
  readonly code = 'PAYMENT_NOT_CREATED_YET';
}

/** What became of a PaymentReversalRequested event. */
export type ReversalOutcome =
  /** Voided or refunded at the PSP by this event. */
  | { kind: 'RELEASED'; status: 'VOIDED' | 'REFUNDED' }
  /**
   * Recorded, and left to the run that finishes the payment: the authorization in progress, the
   * status workflow, or the reconciler (the PSP could not be reached now).
   */
  | { kind: 'REQUESTED'; status: PaymentStatus }
  /** Nothing is held at the PSP (the payment failed), or it was released already. */
  | { kind: 'NOTHING_TO_RELEASE'; status: PaymentStatus };

/**
 * Gives the money of a cancelled order's payment back: PaymentReversalRequested (emitted by the order
 * saga) voids a payment that is still open at the PSP and refunds one that succeeded. The request is
 * recorded first (`reversalRequested`, in the same conditional write that puts the payment in the
 * reconcile index), so every path that later finds the payment captured refunds it instead of settling
 * it, and the reconciler finishes a release the PSP could not take now. Idempotent under redelivery;
 * a payment that failed (nothing held) or was released already is left as it is.
 */
export class PaymentReversals {
  private readonly resolver: PaymentResolver;

  constructor(private readonly deps: ReversalDeps) {
    this.resolver = new PaymentResolver(deps);
  }

  async reverse(event: DomainEventOf<'PaymentReversalRequested'>, now: Date): Promise<ReversalOutcome> {
    const { store } = this.deps;
    const { paymentId, reason } = event.payload;
    let payment = await store.get(paymentId);
    if (!payment) {
      throw new PaymentNotCreatedYetError(
        `Payment ${paymentId} does not exist yet; its reversal waits for it`,
      );
    }
    while (!payment.reversalRequested) {
      if (payment.status === 'FAILED' || payment.status === 'VOIDED' || payment.status === 'REFUNDED') {
        return { kind: 'NOTHING_TO_RELEASE', status: payment.status };
      }
      payment =
        (await store.requestReversal(payment, reason, event.eventId, now)) ??
        (await store.mustGet(paymentId));
    }
    if (payment.status === 'AUTHORIZING') {
      // An authorization may be on its way to the PSP: the run sending it releases what it gets, and
      // the reconciler finishes the payment at its deadline if that run is gone.
      return { kind: 'REQUESTED', status: payment.status };
    }
    const resolved = await this.resolver.finish(payment, {
      now,
      deadlinePassed: isPast(payment.deadline, now),
      counts: { attempts: payment.attempts, statusChecks: payment.statusChecks },
    });
    return outcomeOf(resolved);
  }
}

function outcomeOf(resolved: Resolved): ReversalOutcome {
  switch (resolved.kind) {
    case 'RELEASED':
      return { kind: 'RELEASED', status: resolved.status };
    case 'SETTLED':
    case 'NOTHING_HELD':
    case 'UNCHANGED':
      return { kind: 'NOTHING_TO_RELEASE', status: resolved.status };
    default:
      return { kind: 'REQUESTED', status: resolved.status };
  }
}
