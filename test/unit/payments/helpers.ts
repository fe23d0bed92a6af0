import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
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
  correlationId: stockReserved.correlationId,
});

/** The one event a payment update carries in its outbox attribute. */
export function outboxEventOf(input: UpdateCommandInput | undefined) {
  const events = outboxEventsOf(input);
  expect(events).toHaveLength(1);
  return events[0] as (typeof events)[number];
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

/**
 * The events a payment update carries, in order: the entries it sets its outbox attribute to, each
 * checked against the envelope it serializes. An update that emits no event removes the attribute.
 */
export function outboxEventsOf(input: UpdateCommandInput | undefined) {
  expect(input?.TableName).toBe(TABLE);
  expect(input?.ExpressionAttributeNames?.['#outbox']).toBe('outbox');
  const entries: unknown = input?.ExpressionAttributeValues?.[':outbox'];
  if (entries === undefined) {
    expect(input?.UpdateExpression).toMatch(/\bREMOVE (?:[^ ]+, )*#outbox(?:,| |$)/);
    return [];
  }
  expect(input?.UpdateExpression).toMatch(/\bSET (?:(?!\b(?:REMOVE|ADD|DELETE)\b).)*#outbox = :outbox/);
  expect(entries).toBeInstanceOf(Array);
  return (entries as Record<string, unknown>[]).map((entry) => {
    const parsed = parseEvent(String(entry.event));
    if (!parsed.ok) throw parsed.error;
    const event = parsed.event;
    expect(entry).toEqual({
      aggregateId: event.aggregateId,
      eventId: event.eventId,
      eventType: event.eventType,
      topic: 'payments.events',
      messageKey: event.aggregateId,
      event: entry.event,
      createdAt: event.occurredAt,
    });
    return event;
  });
}
