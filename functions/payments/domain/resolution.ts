import { isOpenStatus, type PaymentItem } from '../model';
import type { PaymentStatusResult } from '../provider';
import type { FinalOutcome, Release } from './settlement';

/**
 * What to do with a payment given what the PSP says about it. Pure; the payment resolver
 * (`../resolution.ts`) carries it out and asks again after each PSP call.
 *
 * A payment's money is given back when a reversal is requested (`reversalRequested`: its order was
 * cancelled, or its deadline failed it before the PSP could be reached): voided while pending,
 * refunded once captured; such a payment never settles SUCCEEDED. An open payment whose deadline has
 * passed is voided while the PSP still holds it pending (or never received it); a final answer found
 * at the deadline still settles it.
 */
export type Resolution =
  /** An open payment gets its outcome (SUCCEEDED or FAILED). */
  | { kind: 'SETTLE'; outcome: FinalOutcome }
  /** Still pending, deadline not reached: keep awaiting the status. */
  | { kind: 'AWAIT' }
  /** The PSP never received the authorization and nothing asks to release it: send it (again). */
  | { kind: 'AUTHORIZE' }
  /** Release the authorization at the PSP before capture. */
  | { kind: 'VOID' }
  /** Pay the captured amount back. */
  | { kind: 'REFUND' }
  /** The PSP holds nothing any more: record the release. */
  | { kind: 'RECORD_RELEASE'; release: Release }
  /** A failed payment owed a release, but the PSP holds nothing for it: the release is done. */
  | { kind: 'NOTHING_HELD' }
  /** Nothing left to do. */
  | { kind: 'NONE' };

export interface ResolutionContext {
  /** The payment's deadline has passed. */
  deadlinePassed: boolean;
}

/** Whether an authorization the PSP holds open (or never received) for the payment is voided now. */
export const mustVoidOpen = (payment: PaymentItem, context: ResolutionContext): boolean =>
  payment.reversalRequested === true || (isOpenStatus(payment.status) && context.deadlinePassed);

/** What to do with `payment` given the PSP's `answer` about it. */
export function resolve(
  payment: PaymentItem,
  answer: PaymentStatusResult,
  context: ResolutionContext,
): Resolution {
  const open = isOpenStatus(payment.status);
  // Terminal and owing nothing: a repeat or a late answer changes nothing.
  if (!open && !payment.reversalRequested) return { kind: 'NONE' };
  // Terminal payments that owe a release: FAILED at the deadline without reaching the PSP, or SUCCEEDED
  // for an order that was cancelled. Released payments owe nothing.
  if (!open && payment.status !== 'FAILED' && payment.status !== 'SUCCEEDED') return { kind: 'NONE' };
  const release = mustVoidOpen(payment, context);
  switch (answer.status) {
    case 'SUCCEEDED':
      if (payment.reversalRequested) return { kind: 'REFUND' };
      if (!open) return { kind: 'NONE' };
      return { kind: 'SETTLE', outcome: { status: 'SUCCEEDED', pspReference: answer.pspReference } };
    case 'DECLINED':
    case 'INSUFFICIENT_FUNDS': {
      // Nothing was ever held. (A SUCCEEDED payment is only ever released by a refund: the PSP's
      // refusal of that refund then says what is wrong.)
      if (payment.status === 'SUCCEEDED') return { kind: 'REFUND' };
      if (!open) return { kind: 'NOTHING_HELD' };
      return {
        kind: 'SETTLE',
        outcome: { status: 'FAILED', reason: answer.status, pspReference: answer.pspReference },
      };
    }
    case 'PENDING':
      if (payment.status === 'SUCCEEDED') return { kind: 'REFUND' };
      return release ? { kind: 'VOID' } : { kind: 'AWAIT' };
    case 'NOT_FOUND':
      if (payment.status === 'SUCCEEDED') return { kind: 'REFUND' };
      return release ? { kind: 'VOID' } : { kind: 'AUTHORIZE' };
    case 'VOIDED':
      if (payment.status === 'SUCCEEDED') return { kind: 'REFUND' };
      return { kind: 'RECORD_RELEASE', release: { to: 'VOIDED', pspReference: answer.pspReference } };
    case 'REFUNDED':
      return { kind: 'RECORD_RELEASE', release: { to: 'REFUNDED', pspReference: answer.pspReference } };
    default: {
      const unhandled: never = answer;
      return unhandled;
    }
  }
}

/**
 * What a void that found nothing at the PSP (`NOT_FOUND`) means: an order's reversal of a payment the
 * PSP never received is recorded as voided; a payment whose deadline passed fails without a release;
 * a failed payment owing a release owes nothing.
 */
export function resolveNothingToVoid(payment: PaymentItem): Resolution {
  if (!isOpenStatus(payment.status)) return { kind: 'NOTHING_HELD' };
  if (payment.reversalRequested) return { kind: 'RECORD_RELEASE', release: { to: 'VOIDED' } };
  return {
    kind: 'SETTLE',
    outcome: {
      status: 'FAILED',
      reason: 'DEADLINE_EXCEEDED',
      detail: `The PSP had not received the authorization by ${payment.deadline ?? 'the deadline'}`,
    },
  };
}
