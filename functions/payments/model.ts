import { createHash } from 'node:crypto';
import type { PaymentFailureReason } from '#events';
import type { Money } from '#platform/money';
import type { PaymentSplit } from './domain/split';

/** Source of every event the payment service emits. */
export const PAYMENT_SOURCE = 'payment-service';

/**
 * AUTHORIZING: created, the PSP is being called; AWAITING_STATUS: the outcome is not known yet and the
 * status workflow is checking; SUCCEEDED and FAILED are final.
 */
export type PaymentStatus = 'AUTHORIZING' | 'AWAITING_STATUS' | 'SUCCEEDED' | 'FAILED';

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
  /** When the status workflow gives up (ISO-8601); set when the payment starts awaiting its status. */
  deadline?: string;
  correlationId: string;
  /** eventId of the StockReserved that caused the payment. */
  causationId: string;
  createdAt: string;
  updatedAt: string;
  settledAt?: string;
}

export const paymentKey = (paymentId: string) => ({ pk: `PAYMENT#${paymentId}`, sk: 'PAYMENT' });

/** The payment id of an order: derived from the orderId, so redeliveries name the same payment. */
export const paymentIdFor = (orderId: string): string => `pay-${orderId}`;

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Name of the status workflow execution of a payment: the paymentId itself when it is a valid
 * execution name (1-80 of `A-Z a-z 0-9 _ -`), otherwise a stable hash of it. One name per payment
 * makes a second start of the same workflow harmless.
 */
export function executionNameFor(paymentId: string): string {
  if (EXECUTION_NAME.test(paymentId)) return paymentId;
  return `pay-${createHash('sha256').update(paymentId).digest('hex').slice(0, 64)}`;
}

/** Input of the payment status workflow (and of its Lambda tasks). */
export interface PaymentWorkflowInput {
  paymentId: string;
  orderId: string;
  /** ISO-8601; after it the payment fails with DEADLINE_EXCEEDED. */
  deadline: string;
  /** Seconds the next Wait state waits. */
  waitSeconds: number;
}
