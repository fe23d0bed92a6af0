import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEvent } from '#events';
import type { OrderStatus } from '#functions/orders/domain/order';
import { type OrderState, SagaInvariantError } from '#functions/orders/domain/saga';
import type { OrderItem } from '#functions/orders/model';
import { OrderStore } from '#functions/orders/order-store';
import {
  applySagaEvent,
  envelopesFor,
  OrderNotFoundError,
  SAGA_SOURCE,
  SagaConflictError,
  SagaNotReadyError,
  stateOf,
} from '#functions/orders/saga';
import { isRetryable } from '#platform/errors';
import { outboxEntriesOf } from '#test/unit/helpers/outbox';
import { sample } from '../events/helpers';

const NOW = new Date('2025-03-01T12:05:00.000Z');
const ORDER_ID = '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c43';
const TABLE = 'orders';

const doc = mockClient(DynamoDBDocumentClient);
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
const conflict = () => new TransactionConflictException({ message: 'ongoing', $metadata: {} });
const deps = () => ({
  store: new OrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE),
});

function storedOrder(status: OrderStatus, version = 3, overrides: Partial<OrderItem> = {}): OrderItem {
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
    ...overrides,
  };
}

const stockReserved = () => sample('StockReserved');
const paymentSucceeded = () => sample('PaymentSucceeded');
function paymentFailed() {
  const event = sample('PaymentFailed');
  return { ...event, aggregateId: ORDER_ID, payload: { ...event.payload, orderId: ORDER_ID } };
}

describe('Function: applySagaEvent', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('writes the transition conditioned on the status and version read, carrying the emitted events', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('STOCK_RESERVED') });
    doc.on(UpdateCommand).resolves({});
    const event = paymentSucceeded();

    // Act
    const outcome = await applySagaEvent(deps(), event, NOW);

    // Assess
    expect(outcome).toMatchObject({ applied: true, from: 'STOCK_RESERVED', to: 'CONFIRMED' });
    expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
      ConsistentRead: true,
    });
    const updates = doc.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    const { ':outbox': entries, ...values } = updates[0]?.args[0].input.ExpressionAttributeValues ?? {};
    expect({ ...updates[0]?.args[0].input, ExpressionAttributeValues: values }).toEqual({
      TableName: TABLE,
      Key: { pk: `ORDER#${ORDER_ID}`, sk: 'ORDER' },
      UpdateExpression:
        'SET #status = :to, updatedAt = :now, version = version + :one, history = list_append(history, :entries), paymentId = :paymentId, #outbox = :outbox REMOVE openShard',
      ConditionExpression: '#status = :from AND version = :version',
      ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
      ExpressionAttributeValues: {
        ':to': 'CONFIRMED',
        ':now': NOW.toISOString(),
        ':one': 1,
        ':version': 3,
        ':from': 'STOCK_RESERVED',
        ':entries': [
          {
            status: 'CONFIRMED',
            at: NOW.toISOString(),
            reason: `Payment succeeded (${event.payload.paymentId})`,
            eventId: event.eventId,
          },
        ],
        ':paymentId': event.payload.paymentId,
      },
    });
    const [entry, ...more] = outboxEntriesOf({ outbox: entries });
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      eventType: 'OrderConfirmed',
      topic: 'orders.events',
      messageKey: event.aggregateId,
    });
    const published = parseEvent(String(entry?.event));
    expect(published.ok && published.event).toMatchObject({
      source: 'order-service',
      correlationId: event.correlationId,
      causationId: event.eventId,
      aggregateId: event.aggregateId,
    });
  });

  it('returns the order after the transition, with its creation time, and the emitted events', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('PAYMENT_PENDING', 4, { paymentId: 'pay-old' }) });
    doc.on(UpdateCommand).resolves({});
    const event = paymentFailed();

    // Act
    const outcome = await applySagaEvent(deps(), event, NOW);

    // Assess
    if (!outcome.applied) throw new Error('Expected the event to apply');
    expect(outcome.order).toMatchObject({
      orderId: ORDER_ID,
      status: 'CANCELLED',
      version: 5,
      reservationId: 'res-1',
      paymentId: event.payload.paymentId,
      updatedAt: NOW.toISOString(),
      createdAt: '2025-03-01T12:00:00.000Z',
    });
    expect(outcome.order.history.map((entry) => entry.status)).toEqual(['PENDING', 'CANCELLED']);
    expect(outcome.emitted.map((emitted) => emitted.eventType)).toEqual([
      'StockReleaseRequested',
      'OrderCancelled',
    ]);
    const entries = doc.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':outbox'];
    expect(outboxEntriesOf({ outbox: entries }).map((entry) => entry.eventId)).toEqual(
      outcome.emitted.map((e) => e.eventId),
    );
  });

  it('changes nothing for an event the order is already past', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('CONFIRMED') });

    // Act
    const outcome = await applySagaEvent(deps(), stockReserved(), NOW);

    // Assess
    expect(outcome).toEqual({
      applied: false,
      reason: 'StockReserved does not apply to an order in CONFIRMED',
    });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('throws a retryable SagaNotReadyError when the payment result is ahead of the reservation', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('PENDING') });

    // Act
    const run = applySagaEvent(deps(), paymentSucceeded(), NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(SagaNotReadyError);
    await expect(run).rejects.toMatchObject({ code: 'SAGA_NOT_READY', retryable: true });
    expect(isRetryable(await run.catch((error: unknown) => error))).toBe(true);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('re-reads and decides again after losing a race on the condition', async () => {
    // Prepare
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: storedOrder('PENDING', 1) })
      .resolves({ Item: storedOrder('STOCK_RESERVED', 2) });
    doc.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const outcome = await applySagaEvent(deps(), stockReserved(), NOW);

    // Assess
    expect(outcome).toMatchObject({ applied: false });
    expect(doc.commandCalls(GetCommand)).toHaveLength(2);
    expect(doc.commandCalls(GetCommand).map((call) => call.args[0].input.ConsistentRead)).toEqual([
      true,
      true,
    ]);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('saves on the fresh read after a TransactionConflict', async () => {
    // Prepare
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: storedOrder('STOCK_RESERVED', 2) })
      .resolves({ Item: storedOrder('PAYMENT_PENDING', 3) });
    doc.on(UpdateCommand).rejectsOnce(conflict()).resolves({});

    // Act
    const outcome = await applySagaEvent(deps(), paymentSucceeded(), NOW);

    // Assess
    expect(outcome).toMatchObject({ applied: true, from: 'PAYMENT_PENDING', to: 'CONFIRMED' });
    const calls = doc.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':from': 'PAYMENT_PENDING',
      ':version': 3,
    });
  });

  it('gives up with a retryable SagaConflictError when the order keeps changing', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: storedOrder('STOCK_RESERVED') });
    doc.on(UpdateCommand).rejects(conflict());

    // Act
    const run = applySagaEvent(deps(), paymentSucceeded(), NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(SagaConflictError);
    await expect(run).rejects.toMatchObject({ code: 'SAGA_CONFLICT', retryable: true });
    expect(doc.commandCalls(GetCommand)).toHaveLength(6);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(6);
  });

  it('throws a permanent OrderNotFoundError for an order that does not exist', async () => {
    // Prepare
    doc.on(GetCommand).resolves({});

    // Act
    const run = applySagaEvent(deps(), stockReserved(), NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(OrderNotFoundError);
    await expect(run).rejects.toMatchObject({
      code: 'ORDER_NOT_FOUND',
      retryable: false,
      message: `Order ${ORDER_ID} does not exist`,
    });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('lets a broken invariant through without writing', async () => {
    // Prepare
    const { reservationId: _, ...withoutReservation } = storedOrder('STOCK_RESERVED');
    doc.on(GetCommand).resolves({ Item: withoutReservation });

    // Act
    const run = applySagaEvent(deps(), paymentFailed(), NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(SagaInvariantError);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('rethrows a DynamoDB failure that is not a lost race', async () => {
    // Prepare
    const failure = new Error('Internal server error');
    doc.on(GetCommand).resolves({ Item: storedOrder('STOCK_RESERVED') });
    doc.on(UpdateCommand).rejects(failure);

    // Act
    const run = applySagaEvent(deps(), paymentSucceeded(), NOW);

    // Assess
    await expect(run).rejects.toBe(failure);
    expect(doc.commandCalls(GetCommand)).toHaveLength(1);
  });

  it('saves through the store it is given, decided on the state it read', async () => {
    // Prepare
    const order = storedOrder('PENDING', 7);
    const store = {
      get: vi.fn(async () => order),
      save: vi.fn(async () => 'SAVED' as const),
    };
    const event = stockReserved();

    // Act
    await applySagaEvent({ store: store as unknown as OrderStore }, event, NOW);

    // Assess
    expect(store.get).toHaveBeenCalledWith(event.aggregateId, { consistent: true });
    expect(store.save).toHaveBeenCalledTimes(1);
    const [before, after, emitted] = store.save.mock.calls[0] as unknown as [
      OrderState,
      OrderState,
      unknown[],
    ];
    expect(before).toEqual(stateOf(order));
    expect(after).toMatchObject({
      status: 'STOCK_RESERVED',
      version: 8,
      reservationId: event.payload.reservationId,
    });
    expect(emitted).toEqual([]);
  });
});

describe('Function: stateOf', () => {
  it('keeps what the saga decides on; an order placed before profiles notifies its customer on every channel', () => {
    // Prepare
    const order = storedOrder('PAYMENT_PENDING', 4, { paymentId: 'pay-1' });

    // Act
    const state = stateOf(order);

    // Assess
    expect(state).toEqual({
      orderId: ORDER_ID,
      status: 'PAYMENT_PENDING',
      version: 4,
      total: order.total,
      lines: order.lines,
      reservationId: 'res-1',
      paymentId: 'pay-1',
      history: order.history,
      updatedAt: order.updatedAt,
      recipient: { customerId: order.customerId, notifications: { email: true, sms: true } },
    });
  });

  it('takes the recipient the order kept when it was placed', () => {
    // Prepare
    const recipient = {
      customerId: 'customer-1',
      name: 'Bob',
      phone: '+15555550123',
      notifications: { email: false, sms: true },
    };
    const order = { ...storedOrder('STOCK_RESERVED', 2), recipient };

    // Act
    const state = stateOf(order);

    // Assess
    expect(state.recipient).toEqual(recipient);
  });
});

describe('Function: envelopesFor', () => {
  it('wraps emitted payloads in events of the order service caused by the incoming event', () => {
    // Prepare
    const parent = paymentSucceeded();

    // Act
    const [confirmed] = envelopesFor(
      [
        {
          type: 'OrderConfirmed',
          payload: {
            orderId: ORDER_ID,
            paymentId: parent.payload.paymentId,
            total: { amountMinor: 9997, currency: 'EUR' },
            confirmedAt: NOW.toISOString(),
            recipient: { customerId: 'customer-1', notifications: { email: true, sms: false } },
          },
        },
      ],
      parent,
      NOW,
    );

    // Assess
    expect(SAGA_SOURCE).toBe('order-service');
    expect(confirmed).toMatchObject({
      eventType: 'OrderConfirmed',
      source: 'order-service',
      aggregateId: parent.aggregateId,
      correlationId: parent.correlationId,
      causationId: parent.eventId,
      occurredAt: NOW.toISOString(),
    });
    expect(confirmed?.eventId).not.toBe(parent.eventId);
  });
});
