import {
  continueTrace,
  createEvent,
  type DomainEvent,
  type PaymentFailureReason,
  type PaymentReversalReason,
} from '#events';
import { PaymentInvariantError } from '../errors';
import {
  isOpenStatus,
  PAYMENT_SOURCE,
  type PaymentItem,
  type PaymentStatus,
  type PaymentWorkflowInput,
} from '../model';
import type { AuthorizationStatus } from '../provider';

/**
 * Pure rules of payment outcomes: which PSP answers are final, the events an outcome or a release
 * emits, and how long the status workflow waits before its next check.
 */

/** A final outcome of a payment. */
export type FinalOutcome =
  | { status: 'SUCCEEDED'; pspReference: string }
  | { status: 'FAILED'; reason: PaymentFailureReason; detail?: string; pspReference?: string };

/** The final outcome an authorization answer means, or undefined while it is not final (PENDING). */
export function finalOutcomeOf(result: {
  status: AuthorizationStatus;
  pspReference: string;
}): FinalOutcome | undefined {
  switch (result.status) {
    case 'SUCCEEDED':
      return { status: 'SUCCEEDED', pspReference: result.pspReference };
    case 'DECLINED':
    case 'INSUFFICIENT_FUNDS':
      return { status: 'FAILED', reason: result.status, pspReference: result.pspReference };
    case 'PENDING':
      return undefined;
    default: {
      const unhandled: never = result.status;
      return unhandled;
    }
  }
}

/** The payment has its outcome (or was released): status checks stop. */
export const isFinalStatus = (status: PaymentStatus): boolean => !isOpenStatus(status);

/** Envelope fields of an event about `payment`, caused by `causationId` (default: its StockReserved). */
const metaOf = (payment: PaymentItem, now: Date, causationId = payment.causationId) => ({
  source: PAYMENT_SOURCE,
  aggregateId: payment.orderId,
  correlationId: payment.correlationId,
  causationId,
  now,
  trace: continueTrace({ traceparent: payment.traceparent }),
});

/** The PaymentSucceeded or PaymentFailed event of a payment that settles with `outcome`. */
export function settlementEvent(
  payment: PaymentItem,
  outcome: FinalOutcome,
  attempts: number,
  now: Date,
): DomainEvent {
  const meta = metaOf(payment, now);
  const reported = Math.max(1, attempts);
  if (outcome.status === 'SUCCEEDED') {
    return createEvent(
      'PaymentSucceeded',
      {
        orderId: payment.orderId,
        paymentId: payment.paymentId,
        reservationId: payment.reservationId,
        amount: payment.amount,
        splits: payment.splits,
        pspReference: outcome.pspReference,
        attempts: reported,
      },
      meta,
    );
  }
  return createEvent(
    'PaymentFailed',
    {
      orderId: payment.orderId,
      paymentId: payment.paymentId,
      reservationId: payment.reservationId,
      amount: payment.amount,
      reason: outcome.reason,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      attempts: reported,
    },
    meta,
  );
}

/** The money the PSP held for a payment was given back. */
export interface Release {
  to: 'VOIDED' | 'REFUNDED';
  /** The PSP's reference; absent for a void of a payment the PSP never received. */
  pspReference?: string | undefined;
}

/**
 * What a release of `payment` records and emits:
 * - a payment that was still open and not asked to be reversed was released because its deadline
 *   passed: it fails (`PaymentFailed` DEADLINE_EXCEEDED, or PSP_ERROR when the PSP released it
 *   before the deadline on its own), so the order stops waiting, then `PaymentVoided`/`PaymentRefunded`;
 * - otherwise the order already knows (it asked for the reversal, or the payment failed before):
 *   `PaymentVoided`/`PaymentRefunded` only, caused by the PaymentReversalRequested when there was one.
 * The reason of the release is the payment's `reversalReason`, DEADLINE_EXCEEDED without one.
 */
export function releaseOf(
  payment: PaymentItem,
  release: Release,
  now: Date,
  deadlinePassed: boolean,
): { failureReason?: PaymentFailureReason; events: DomainEvent[] } {
  const reason: PaymentReversalReason = payment.reversalReason ?? 'DEADLINE_EXCEEDED';
  const events: DomainEvent[] = [];
  let failureReason: PaymentFailureReason | undefined;
  if (isOpenStatus(payment.status) && !payment.reversalRequested) {
    failureReason = deadlinePassed ? 'DEADLINE_EXCEEDED' : 'PSP_ERROR';
    events.push(
      settlementEvent(
        payment,
        {
          status: 'FAILED',
          reason: failureReason,
          detail: deadlinePassed
            ? `No final answer from the PSP before ${payment.deadline ?? 'the deadline'}; the authorization was ${release.to === 'VOIDED' ? 'voided' : 'refunded'}`
            : `The PSP reports the payment ${release.to}`,
        },
        payment.attempts,
        now,
      ),
    );
  }
  const meta = metaOf(payment, now, payment.reversalCausationId ?? payment.causationId);
  const common = {
    orderId: payment.orderId,
    paymentId: payment.paymentId,
    amount: payment.amount,
    reason,
  };
  if (release.to === 'VOIDED') {
    events.push(
      createEvent(
        'PaymentVoided',
        { ...common, ...(release.pspReference ? { pspReference: release.pspReference } : {}) },
        meta,
      ),
    );
  } else {
    const pspReference = release.pspReference ?? payment.pspReference;
    if (!pspReference) {
      throw new PaymentInvariantError(`A refund of payment ${payment.paymentId} needs a PSP reference`);
    }
    events.push(createEvent('PaymentRefunded', { ...common, pspReference }, meta));
  }
  return { ...(failureReason ? { failureReason } : {}), events };
}

/**
 * The wait before the next status check: double the last one, at most `maxWaitSeconds`, never past
 * the deadline, at least one second.
 */
export function nextWaitSeconds(input: PaymentWorkflowInput, now: Date, maxWaitSeconds: number): number {
  const doubled = Math.min(maxWaitSeconds, Math.max(1, Math.floor(input.waitSeconds)) * 2);
  const remaining = Math.ceil((Date.parse(input.deadline) - now.getTime()) / 1000);
  return Math.max(1, Math.min(doubled, remaining));
}
