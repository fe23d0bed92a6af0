import { createEvent, type DomainEvent, type PaymentFailureReason } from '#events';
import { PAYMENT_SOURCE, type PaymentItem, type PaymentStatus, type PaymentWorkflowInput } from '../model';
import type { AuthorizationResult } from '../provider';

/**
 * Pure rules of payment outcomes: which PSP answers are final, the event a final outcome emits, and
 * how long the status workflow waits before its next check.
 */

/** A final outcome of a payment. */
export type FinalOutcome =
  | { status: 'SUCCEEDED'; pspReference: string }
  | { status: 'FAILED'; reason: PaymentFailureReason; detail?: string; pspReference?: string };

/** The final outcome a PSP answer means, or undefined while it is not final (PENDING). */
export function finalOutcomeOf(result: AuthorizationResult): FinalOutcome | undefined {
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

export const isFinalStatus = (status: PaymentStatus): status is 'SUCCEEDED' | 'FAILED' =>
  status === 'SUCCEEDED' || status === 'FAILED';

/** The PaymentSucceeded or PaymentFailed event of a payment that settles with `outcome`. */
export function settlementEvent(
  payment: PaymentItem,
  outcome: FinalOutcome,
  attempts: number,
  now: Date,
): DomainEvent {
  const meta = {
    source: PAYMENT_SOURCE,
    aggregateId: payment.orderId,
    correlationId: payment.correlationId,
    causationId: payment.causationId,
    now,
  };
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

/**
 * The wait before the next status check: double the last one, at most `maxWaitSeconds`, never past
 * the deadline, at least one second.
 */
export function nextWaitSeconds(input: PaymentWorkflowInput, now: Date, maxWaitSeconds: number): number {
  const doubled = Math.min(maxWaitSeconds, Math.max(1, Math.floor(input.waitSeconds)) * 2);
  const remaining = Math.ceil((Date.parse(input.deadline) - now.getTime()) / 1000);
  return Math.max(1, Math.min(doubled, remaining));
}
