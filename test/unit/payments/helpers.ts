import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { expect, vi } from 'vitest';
import { parseEvent } from '#events';
import type { PaymentItem, PaymentWorkflowInput } from '#functions/payments/model';
import type { PaymentProvider } from '#functions/payments/provider';
import { sample } from '../events/helpers';

export const TABLE = 'payments-test';
export const NOW = new Date('2025-03-01T12:00:01.000Z');
export const stockReserved = sample('StockReserved');
export const ORDER_ID = stockReserved.payload.orderId;
export const PAYMENT_ID = `pay-${ORDER_ID}`;
export const DEADLINE = '2025-03-01T12:15:01.000Z';

/** What DynamoDB throws when a single-item write fails its condition. */
export const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The payment of the sample StockReserved, awaiting its status unless `overrides` say otherwise. */
export function payment(overrides: Partial<PaymentItem> = {}): PaymentItem {
  return {
    pk: `PAYMENT#${PAYMENT_ID}`,
    sk: 'PAYMENT',
    entity: 'PAYMENT',
    paymentId: PAYMENT_ID,
    orderId: ORDER_ID,
    reservationId: stockReserved.payload.reservationId,
    status: 'AWAITING_STATUS',
    amount: stockReserved.payload.total,
    splits: [
      { sellerId: 'seller-connectivity', amount: { amountMinor: 3999, currency: 'EUR' } },
      { sellerId: 'seller-peripherals', amount: { amountMinor: 5998, currency: 'EUR' } },
    ],
    token: 'tok_pending',
    attempts: 1,
    statusChecks: 0,
    deadline: DEADLINE,
    correlationId: stockReserved.correlationId,
    causationId: stockReserved.eventId,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}

export const workflowInput = (waitSeconds = 2, deadline = DEADLINE): PaymentWorkflowInput => ({
  paymentId: PAYMENT_ID,
  orderId: ORDER_ID,
  deadline,
  waitSeconds,
});

/** The event of the outbox row a transaction writes second (after the payment update). */
export function outboxEventOf(input: TransactWriteCommandInput | undefined) {
  const row = input?.TransactItems?.[1]?.Put;
  expect(row?.ConditionExpression).toBe('attribute_not_exists(pk)');
  expect(row?.TableName).toBe(TABLE);
  const parsed = parseEvent(String(row?.Item?.event));
  if (!parsed.ok) throw parsed.error;
  return parsed.event;
}

/** A PSP double: every call a `vi.fn`, by default a PSP that authorizes, reports PENDING and releases. */
export function pspDouble(provider: Partial<PaymentProvider> = {}) {
  return {
    authorize: vi.fn<PaymentProvider['authorize']>(
      provider.authorize?.bind(provider) ?? (async () => ({ status: 'SUCCEEDED', pspReference: 'psp_1' })),
    ),
    getStatus: vi.fn<PaymentProvider['getStatus']>(
      provider.getStatus?.bind(provider) ?? (async () => ({ status: 'PENDING', pspReference: 'psp_1' })),
    ),
    void: vi.fn<PaymentProvider['void']>(
      provider.void?.bind(provider) ?? (async () => ({ status: 'VOIDED', pspReference: 'psp_1' })),
    ),
    refund: vi.fn<PaymentProvider['refund']>(
      provider.refund?.bind(provider) ?? (async () => ({ status: 'REFUNDED', pspReference: 'psp_1' })),
    ),
  };
}

/** The events of the outbox rows a transaction writes after the payment update, in order. */
export function outboxEventsOf(input: TransactWriteCommandInput | undefined) {
  return (input?.TransactItems ?? []).slice(1).map((item) => {
    expect(item.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    const parsed = parseEvent(String(item.Put?.Item?.event));
    if (!parsed.ok) throw parsed.error;
    return parsed.event;
  });
}
