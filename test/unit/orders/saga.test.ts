import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OrderStatus } from '#functions/orders/domain/order';
import type { OrderItem } from '#functions/orders/model';
import {
  applySagaEvent,
  decide,
  type OrderState,
  type SagaEvent,
  SagaInvariantError,
  SagaNotReadyError,
} from '#functions/orders/saga';
import { parseEvent } from '../../../events';
import { sample } from '../events/helpers';

const NOW = new Date('2025-03-01T12:05:00.000Z');
const ORDER_ID = '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c43';

function givenOrder(status: OrderStatus, overrides: Partial<OrderState> = {}): OrderState {
  return {
    orderId: ORDER_ID,
    status,
    version: 3,
    total: { amountMinor: 9997, currency: 'EUR' },
    lines: [
      { productId: '11111111-1111-1111-1111-111111111111', quantity: 2 },
      { productId: '33333333-3333-3333-3333-333333333333', quantity: 1 },
    ],
    ...(status === 'PENDING' ? {} : { reservationId: 'res-1' }),
    ...overrides,
  };
}

const stockReserved = () => sample('StockReserved');
const stockRejected = () => sample('StockRejected');
const paymentSucceeded = () => sample('PaymentSucceeded');
function paymentFailed(reason: 'DECLINED' | 'DEADLINE_EXCEEDED' = 'DECLINED'): SagaEvent {
  const event = sample('PaymentFailed');
  return { ...event, payload: { ...event.payload, reason } };
}

describe('Function: decide', () => {
  it('reserves the order when stock is reserved for a pending order', () => {
    // Given
    const order = givenOrder('PENDING');

    // When
    const decision = decide(order, stockReserved(), NOW);

    // Then
    expect(decision).toEqual({
      kind: 'TRANSITION',
      from: ['PENDING'],
      to: 'STOCK_RESERVED',
      reason: `Stock reserved (${stockReserved().payload.reservationId})`,
      set: { reservationId: stockReserved().payload.reservationId },
      emit: [],
    });
  });

  it('cancels the order when stock is rejected', () => {
    // Given
    const order = givenOrder('PENDING');

    // When
    const decision = decide(order, stockRejected(), NOW);

    // Then
    expect(decision).toMatchObject({ kind: 'TRANSITION', from: ['PENDING'], to: 'CANCELLED' });
    expect(decision.kind === 'TRANSITION' && decision.emit).toEqual([
      {
        type: 'OrderCancelled',
        payload: expect.objectContaining({
          orderId: ORDER_ID,
          reason: 'STOCK_REJECTED',
          cancelledAt: NOW.toISOString(),
        }),
      },
    ]);
  });

  it.each(['STOCK_RESERVED', 'PAYMENT_PENDING'] as const)(
    'confirms a %s order when the payment succeeds',
    (status) => {
      // Given
      const order = givenOrder(status);

      // When
      const decision = decide(order, paymentSucceeded(), NOW);

      // Then
      expect(decision).toMatchObject({
        kind: 'TRANSITION',
        from: ['STOCK_RESERVED', 'PAYMENT_PENDING'],
        to: 'CONFIRMED',
        set: { paymentId: paymentSucceeded().payload.paymentId },
        emit: [
          {
            type: 'OrderConfirmed',
            payload: {
              orderId: ORDER_ID,
              paymentId: paymentSucceeded().payload.paymentId,
              total: order.total,
              confirmedAt: NOW.toISOString(),
            },
          },
        ],
      });
    },
  );

  it('moves a reserved order to PAYMENT_PENDING when the payment awaits status checks', () => {
    // Given
    const order = givenOrder('STOCK_RESERVED');
    const pending = sample('PaymentPending');

    // When
    const decision = decide(order, pending, NOW);

    // Then
    expect(decision).toEqual({
      kind: 'TRANSITION',
      from: ['STOCK_RESERVED'],
      to: 'PAYMENT_PENDING',
      reason: `Payment pending at the PSP; status checks until ${pending.payload.deadline}`,
      set: { paymentId: pending.payload.paymentId },
      emit: [],
    });
  });

  it.each(['PAYMENT_PENDING', 'CONFIRMED', 'CANCELLED'] as const)(
    'ignores PaymentPending for an order already %s',
    (status) => {
      // Given
      const order = givenOrder(status);

      // When
      const decision = decide(order, sample('PaymentPending'), NOW);

      // Then
      expect(decision.kind).toBe('IGNORE');
    },
  );

  it('is not ready for PaymentPending before the reservation is recorded', () => {
    // Given
    const order = givenOrder('PENDING');

    // When
    const decision = decide(order, sample('PaymentPending'), NOW);

    // Then
    expect(decision.kind).toBe('NOT_READY');
  });

  it('releases the stock and cancels the order when the payment fails', () => {
    // Given
    const order = givenOrder('STOCK_RESERVED', { reservationId: 'res-42' });

    // When
    const decision = decide(order, paymentFailed('DECLINED'), NOW);

    // Then
    expect(decision).toMatchObject({
      kind: 'TRANSITION',
      to: 'CANCELLED',
      reason: 'Payment failed: DECLINED',
    });
    expect(decision.kind === 'TRANSITION' && decision.emit.map((e) => e.type)).toEqual([
      'StockReleaseRequested',
      'OrderCancelled',
    ]);
    expect(decision.kind === 'TRANSITION' && decision.emit[0]?.payload).toEqual({
      orderId: ORDER_ID,
      reservationId: 'res-42',
      lines: order.lines,
      reason: 'Payment failed: DECLINED',
    });
    expect(decision.kind === 'TRANSITION' && decision.emit[1]?.payload).toMatchObject({
      reason: 'PAYMENT_FAILED',
    });
  });

  it('cancels with PAYMENT_DEADLINE_EXCEEDED when the payment missed its deadline', () => {
    // Given
    const order = givenOrder('PAYMENT_PENDING');

    // When
    const decision = decide(order, paymentFailed('DEADLINE_EXCEEDED'), NOW);

    // Then
    expect(decision.kind === 'TRANSITION' && decision.emit[1]?.payload).toMatchObject({
      reason: 'PAYMENT_DEADLINE_EXCEEDED',
    });
  });

  it.each([
    ['PaymentSucceeded', paymentSucceeded],
    ['PaymentFailed', () => paymentFailed()],
  ] as const)('asks for a retry when %s arrives before the stock reservation', (_name, event) => {
    // Given
    const order = givenOrder('PENDING');

    // When
    const decision = decide(order, event(), NOW);

    // Then
    expect(decision.kind).toBe('NOT_READY');
  });

  it.each([
    ['StockReserved', 'CONFIRMED', stockReserved],
    ['StockReserved', 'STOCK_RESERVED', stockReserved],
    ['StockRejected', 'CANCELLED', stockRejected],
    ['PaymentSucceeded', 'CONFIRMED', paymentSucceeded],
    ['PaymentSucceeded', 'CANCELLED', paymentSucceeded],
    ['PaymentFailed', 'CANCELLED', () => paymentFailed()],
  ] as const)('ignores %s for an order already %s', (_name, status, event) => {
    // Given
    const order = givenOrder(status);

    // When
    const decision = decide(order, event(), NOW);

    // Then
    expect(decision.kind).toBe('IGNORE');
  });

  it('refuses to compensate a reserved order without a reservation id', () => {
    // Given
    const order = givenOrder('STOCK_RESERVED', { reservationId: undefined });

    // When
    const act = () => decide(order, paymentFailed(), NOW);

    // Then
    expect(act).toThrow(SagaInvariantError);
  });
});

const doc = mockClient(DynamoDBDocumentClient);
const deps = () => ({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  ordersTable: 'orders',
});

function storedOrder(status: OrderStatus, version = 3): OrderItem {
  return {
    pk: `ORDER#${ORDER_ID}`,
    sk: 'ORDER',
    entity: 'ORDER',
    orderId: ORDER_ID,
    customerId: 'c-1',
    status,
    lines: [
      {
        productId: '11111111-1111-1111-1111-111111111111',
        sellerId: 's-1',
        name: 'Mouse',
        quantity: 2,
        unitPrice: { amountMinor: 2999, currency: 'EUR' },
        lineTotal: { amountMinor: 5998, currency: 'EUR' },
      },
    ],
    total: { amountMinor: 5998, currency: 'EUR' },
    payment: { method: 'card', token: 'tok_ok' },
    correlationId: 'corr-1',
    createdAt: '2025-03-01T12:00:00.000Z',
    updatedAt: '2025-03-01T12:00:00.000Z',
    version,
    history: [{ status: 'PENDING', at: '2025-03-01T12:00:00.000Z', reason: 'Order placed' }],
    ...(status === 'PENDING' ? {} : { reservationId: 'res-1' }),
  };
}

describe('Function: applySagaEvent', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('writes the transition conditioned on the source statuses and version, with the outbox rows', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('STOCK_RESERVED') });
    doc.on(TransactWriteCommand).resolves({});
    const event = paymentSucceeded();

    // Act
    const outcome = await applySagaEvent(deps(), event, NOW);

    // Assess
    expect(outcome).toMatchObject({ applied: true, from: 'STOCK_RESERVED', to: 'CONFIRMED' });
    const [update, outbox] = doc.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(update?.Update).toEqual({
      TableName: 'orders',
      Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
      UpdateExpression:
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entry), paymentId = :paymentId',
      ConditionExpression: '#status IN (:from0, :from1) AND version = :version',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':to': 'CONFIRMED',
        ':now': NOW.toISOString(),
        ':one': 1,
        ':version': 3,
        ':entry': [
          {
            status: 'CONFIRMED',
            at: NOW.toISOString(),
            reason: `Payment succeeded (${event.payload.paymentId})`,
            eventId: event.eventId,
          },
        ],
        ':paymentId': event.payload.paymentId,
        ':from0': 'STOCK_RESERVED',
        ':from1': 'PAYMENT_PENDING',
      },
    });
    expect(outbox?.Put).toMatchObject({
      TableName: 'orders',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        entity: 'OUTBOX',
        eventType: 'OrderConfirmed',
        topic: 'orders.events',
        messageKey: event.aggregateId,
      },
    });
    const published = parseEvent(String(outbox?.Put?.Item?.event));
    expect(published.ok && published.event).toMatchObject({
      source: 'order-service',
      correlationId: event.correlationId,
      causationId: event.eventId,
      aggregateId: event.aggregateId,
    });
  });

  it('changes nothing for an event the order is already past', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('CONFIRMED') });

    // Act
    const outcome = await applySagaEvent(deps(), stockReserved(), NOW);

    // Assess
    expect(outcome).toMatchObject({ applied: false });
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('throws a retryable error when the payment result is ahead of the reservation', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('PENDING') });

    // Act
    const run = applySagaEvent(deps(), paymentSucceeded(), NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(SagaNotReadyError);
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('re-reads and decides again after losing a race on the condition', async () => {
    // Prepare
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: storedOrder('PENDING', 1) })
      .resolves({ Item: storedOrder('STOCK_RESERVED', 2) });
    doc.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
      }),
    );

    // Act
    const outcome = await applySagaEvent(deps(), stockReserved(), NOW);

    // Assess
    expect(outcome).toMatchObject({ applied: false });
    expect(doc.commandCalls(GetCommand)).toHaveLength(2);
    expect(doc.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });
});
