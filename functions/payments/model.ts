import { createHash } from 'node:crypto';
import type { PaymentFailureReason, PaymentReversalReason } from '#events';
import type { Money } from '#platform/money';
import type { PaymentSplit } from './domain/split';

/** Source of every event the payment service emits. */
export const PAYMENT_SOURCE = 'payment-service';

/**
 * AUTHORIZING: created, the PSP is being called; AWAITING_STATUS: the outcome is not known yet and the
 * status workflow is checking. SUCCEEDED (captured) and FAILED (nothing held at the PSP, or a release
 * still owed: see `reversalRequested`) are outcomes; VOIDED (the authorization was released before
 * capture) and REFUNDED (captured, then paid back) are what a release makes of an open or succeeded
 * payment. SUCCEEDED, FAILED, VOIDED and REFUNDED are terminal.
 */
export type PaymentStatus =
  | 'AUTHORIZING'
  | 'AWAITING_STATUS'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'VOIDED'
  | 'REFUNDED';

/** The statuses of a payment whose outcome is not known yet. */
export type OpenPaymentStatus = 'AUTHORIZING' | 'AWAITING_STATUS';

export const isOpenStatus = (status: PaymentStatus): status is OpenPaymentStatus =>
  status === 'AUTHORIZING' || status === 'AWAITING_STATUS';

/** Index of the payments with work left for the reconciler (see `PaymentItem.reconcileShard`). */
export const RECONCILE_INDEX = 'reconcile';

/** Shards of the reconcile index's partition key, so no single partition takes every open payment. */
export const RECONCILE_SHARDS = 4;

/** The reconcile index's partition key of a payment: a stable small hash (FNV-1a) of its id. */
export function reconcileShardOf(paymentId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < paymentId.length; i++) {
    hash ^= paymentId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash % RECONCILE_SHARDS);
}

/** The payment item of one order in the `payments` table. */
export interface PaymentItem {
  pk: string;
  sk: string;
  entity: 'PAYMENT';
  paymentId: string;
  orderId: string;
  reservationId: string;
  status: PaymentStatus;
  amount: Money;
  splits: PaymentSplit[];
  /** The PSP card token of the order, kept to re-submit an authorization the PSP never received. */
  token: string;
  /** Authorization calls made to the PSP so far. */
  attempts: number;
  /** Status checks made by the workflow so far. */
  statusChecks: number;
  pspReference?: string;
  failureReason?: PaymentFailureReason;
  /** Last error of a PSP call that left the outcome open. */
  lastError?: string;
  /**
   * When the payment must have an outcome (ISO-8601): set when it is created, moved on when it starts
   * awaiting its status. After it, whatever the PSP still holds open is voided.
   */
  deadline?: string;
  /**
   * Present while the payment has work left (open, or a release owed at the PSP): the partition key of
   * the sparse `reconcile` index, one of `RECONCILE_SHARDS` values. Removed when the work is done.
   */
  reconcileShard?: string;
  /** When the reconciler takes the payment on if nothing else has (ISO-8601): the sort key of `reconcile`. */
  reconcileAt?: string;
  /**
   * The money the PSP holds for this payment must be given back (voided or refunded): the order was
   * cancelled (PaymentReversalRequested), or the deadline failed the payment while the PSP could not be
   * reached. A payment with this flag never settles SUCCEEDED: a success found later is refunded.
   */
  reversalRequested?: boolean;
  reversalReason?: PaymentReversalReason;
  /** eventId of the PaymentReversalRequested, the cause of the PaymentVoided/PaymentRefunded. */
  reversalCausationId?: string;
  /** When the PSP released the money (VOIDED, REFUNDED). */
  releasedAt?: string;
  /** Number of the status workflow's current execution (1 when absent); see `executionNameFor`. */
  workflowRun?: number;
  correlationId: string;
  /** eventId of the StockReserved that caused the payment. */
  causationId: string;
  /** W3C trace context of that StockReserved: the payment's events continue its trace. */
  traceparent?: string;
  createdAt: string;
  updatedAt: string;
  settledAt?: string;
}

export const paymentKey = (paymentId: string) => ({ pk: `PAYMENT#${paymentId}`, sk: 'PAYMENT' });

/** The payment id of an order: derived from the orderId, so redeliveries name the same payment. */
export const paymentIdFor = (orderId: string): string => `pay-${orderId}`;

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Name of run `run` of a payment's status workflow: the paymentId itself for the first run and
 * `<paymentId>-<run>` for a restart, when that is a valid execution name (1-80 of
 * `A-Z a-z 0-9 _ -`), otherwise a stable hash of it. One name per payment and run makes a second
 * start of the same run harmless.
 */
export function executionNameFor(paymentId: string, run = 1): string {
  const name = run <= 1 ? paymentId : `${paymentId}-${run}`;
  if (EXECUTION_NAME.test(name)) return name;
  return `pay-${createHash('sha256').update(name).digest('hex').slice(0, 64)}`;
}

/** Input of the payment status workflow (and of its Lambda tasks). */
export interface PaymentWorkflowInput {
  paymentId: string;
  orderId: string;
  /** ISO-8601; after it the payment fails with DEADLINE_EXCEEDED. */
  deadline: string;
  /** Seconds the next Wait state waits. */
  waitSeconds: number;
  /** The order saga's correlationId, on every log line of the workflow's tasks. */
  correlationId?: string;
}
