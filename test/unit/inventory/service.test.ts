import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEvent } from '#events';
import { InventoryBusyError, ReservationNotFoundError } from '#functions/inventory/errors';
import type { ReservationItem } from '#functions/inventory/model';
import { InventoryService } from '#functions/inventory/service';
import { outboxEntryOf } from '#test/unit/helpers/outbox';
import { sample } from '../events/helpers';

const INVENTORY = 'inventory-test';
const NOW = new Date('2025-03-01T12:00:01.000Z');
const doc = mockClient(DynamoDBDocumentClient);

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

function service(backoff = vi.fn(async () => undefined)) {
  return new InventoryService({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    inventoryTable: INVENTORY,
    maxAttempts: 3,
    backoff,
  });
}

const transactions = (): TransactWriteCommandInput[] =>
  doc.commandCalls(TransactWriteCommand).map((call) => call.args[0].input);

/**
 * The one event the first item of a transaction carries (the reservation's outbox attribute, put or
 * set by an update), parsed as a consumer would; no other item of the transaction carries one.
 */
function outboxEvent(input: TransactWriteCommandInput | undefined) {
  const [first, ...others] = input?.TransactItems ?? [];
  const carried = (item: typeof first) =>
    item?.Put?.Item?.outbox ?? item?.Update?.ExpressionAttributeValues?.[':outbox'];
  expect(others.map(carried).filter((entries) => entries !== undefined)).toEqual([]);
  const entry = outboxEntryOf({ outbox: carried(first) });
  const parsed = parseEvent(entry.event);
  if (!parsed.ok) throw parsed.error;
  return { item: first, event: parsed.event };
}

const orderCreated = sample('OrderCreated');
const releaseRequested = sample('StockReleaseRequested');

describe('Class: InventoryService', () => {
  beforeEach(() => {
    doc.reset();
  });

  describe('Method: reserve', () => {
    it('reserves all lines in one transaction with exact conditions, sorted by productId', async () => {
      // Prepare
      doc.on(TransactWriteCommand).resolves({});
      const event = {
        ...orderCreated,
        payload: { ...orderCreated.payload, lines: [...orderCreated.payload.lines].reverse() },
      };

      // Act
      const outcome = await service().reserve(event, NOW);

      // Assess
      expect(outcome).toBe('RESERVED');
      const [input] = transactions();
      const items = input?.TransactItems ?? [];
      expect(items).toHaveLength(3);
      expect(items[0]?.Put).toMatchObject({
        TableName: INVENTORY,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: {
          pk: `RESERVATION#${orderCreated.payload.orderId}`,
          sk: 'RESERVATION',
          status: 'RESERVED',
          reservationId: `res-${orderCreated.payload.orderId}`,
        },
      });
      expect(items.slice(1, 3).map((item) => item.Update)).toEqual([
        {
          TableName: INVENTORY,
          Key: { pk: 'STOCK#11111111-1111-1111-1111-111111111111', sk: 'STOCK' },
          UpdateExpression: 'SET stock = stock - :q',
          ConditionExpression: 'stock >= :q',
          ExpressionAttributeValues: { ':q': 2 },
        },
        {
          TableName: INVENTORY,
          Key: { pk: 'STOCK#33333333-3333-3333-3333-333333333333', sk: 'STOCK' },
          UpdateExpression: 'SET stock = stock - :q',
          ConditionExpression: 'stock >= :q',
          ExpressionAttributeValues: { ':q': 1 },
        },
      ]);
      const { event: reserved } = outboxEvent(input);
      expect(reserved).toMatchObject({
        eventType: 'StockReserved',
        source: 'inventory-service',
        correlationId: orderCreated.correlationId,
        causationId: orderCreated.eventId,
        aggregateId: orderCreated.payload.orderId,
        payload: {
          reservationId: `res-${orderCreated.payload.orderId}`,
          total: orderCreated.payload.total,
          payment: orderCreated.payload.payment,
        },
      });
      expect(reserved.eventType === 'StockReserved' && reserved.payload.lines[0]).toEqual({
        productId: '11111111-1111-1111-1111-111111111111',
        sellerId: 'seller-peripherals',
        quantity: 2,
        unitPrice: { amountMinor: 2999, currency: 'EUR' },
        lineTotal: { amountMinor: 5998, currency: 'EUR' },
      });
    });

    it('returns ALREADY_DONE without further writes when the reservation exists', async () => {
      // Prepare
      doc.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));

      // Act
      const outcome = await service().reserve(orderCreated, NOW);

      // Assess
      expect(outcome).toBe('ALREADY_DONE');
      expect(transactions()).toHaveLength(1);
      expect(doc.commandCalls(BatchGetCommand)).toHaveLength(0);
    });

    it('records a rejection with requested vs available when a stock condition fails', async () => {
      // Prepare
      doc
        .on(TransactWriteCommand)
        .rejectsOnce(cancelled('None', 'None', 'ConditionalCheckFailed'))
        .resolves({});
      doc.on(BatchGetCommand).resolves({
        Responses: {
          [INVENTORY]: [
            { productId: '11111111-1111-1111-1111-111111111111', stock: 10 },
            { productId: '33333333-3333-3333-3333-333333333333', stock: 0 },
          ],
        },
      });

      // Act
      const outcome = await service().reserve(orderCreated, NOW);

      // Assess
      expect(outcome).toBe('REJECTED');
      expect(doc.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[INVENTORY]).toMatchObject({
        ConsistentRead: true,
      });
      const rejection = transactions()[1];
      expect(rejection?.TransactItems).toHaveLength(1);
      expect(rejection?.TransactItems?.[0]?.Put).toMatchObject({
        TableName: INVENTORY,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { status: 'REJECTED', lines: [] },
      });
      expect(outboxEvent(rejection).event).toMatchObject({
        eventType: 'StockRejected',
        causationId: orderCreated.eventId,
        payload: {
          orderId: orderCreated.payload.orderId,
          reason: 'INSUFFICIENT_STOCK',
          lines: [{ productId: '33333333-3333-3333-3333-333333333333', requested: 1, available: 0 }],
        },
      });
    });

    it('rejects with UNKNOWN_PRODUCT when a product has no stock item', async () => {
      // Prepare
      doc
        .on(TransactWriteCommand)
        .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None'))
        .resolves({});
      doc.on(BatchGetCommand).resolves({
        Responses: { [INVENTORY]: [{ productId: '33333333-3333-3333-3333-333333333333', stock: 5 }] },
      });

      // Act
      const outcome = await service().reserve(orderCreated, NOW);

      // Assess
      expect(outcome).toBe('REJECTED');
      expect(outboxEvent(transactions()[1]).event.payload).toMatchObject({
        reason: 'UNKNOWN_PRODUCT',
        lines: [{ productId: '11111111-1111-1111-1111-111111111111', requested: 2, available: 0 }],
      });
    });

    it('tries the reservation again when the stock came back before the read', async () => {
      // Prepare
      doc
        .on(TransactWriteCommand)
        .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None'))
        .resolves({});
      doc.on(BatchGetCommand).resolves({
        Responses: {
          [INVENTORY]: [
            { productId: '11111111-1111-1111-1111-111111111111', stock: 10 },
            { productId: '33333333-3333-3333-3333-333333333333', stock: 10 },
          ],
        },
      });

      // Act
      const outcome = await service().reserve(orderCreated, NOW);

      // Assess
      expect(outcome).toBe('RESERVED');
      expect(transactions()).toHaveLength(2);
      expect(transactions()[1]?.TransactItems).toHaveLength(3);
    });

    it('retries a TransactionConflict with backoff, then gives up with a retryable error', async () => {
      // Prepare
      doc.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict', 'None'));
      const backoff = vi.fn(async () => undefined);

      // Act
      const attempt = service(backoff).reserve(orderCreated, NOW);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InventoryBusyError);
      expect(transactions()).toHaveLength(3);
      expect(backoff.mock.calls).toEqual([[0], [1]]);
    });

    it('returns ALREADY_DONE when the rejection finds the reservation written meanwhile', async () => {
      // Prepare
      doc
        .on(TransactWriteCommand)
        .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None'))
        .rejectsOnce(cancelled('ConditionalCheckFailed'));
      doc.on(BatchGetCommand).resolves({ Responses: { [INVENTORY]: [] } });

      // Act
      const outcome = await service().reserve(orderCreated, NOW);

      // Assess
      expect(outcome).toBe('ALREADY_DONE');
    });

    it('passes other errors through', async () => {
      // Prepare
      doc.on(TransactWriteCommand).rejects(new Error('network down'));

      // Act
      const attempt = service().reserve(orderCreated, NOW);

      // Assess
      await expect(attempt).rejects.toThrow('network down');
    });
  });

  describe('Method: release', () => {
    const reservation: ReservationItem = {
      pk: `RESERVATION#${releaseRequested.payload.orderId}`,
      sk: 'RESERVATION',
      entity: 'RESERVATION',
      orderId: releaseRequested.payload.orderId,
      reservationId: releaseRequested.payload.reservationId,
      status: 'RESERVED',
      lines: sample('StockReserved').payload.lines,
      correlationId: releaseRequested.correlationId,
      causationId: 'x',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    };

    it('moves RESERVED to RELEASED and adds the stock back in one transaction', async () => {
      // Prepare
      doc.on(GetCommand).resolves({ Item: reservation });
      doc.on(TransactWriteCommand).resolves({});

      // Act
      const outcome = await service().release(releaseRequested, NOW);

      // Assess
      expect(outcome).toBe('RELEASED');
      expect(doc.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
      const items = transactions()[0]?.TransactItems ?? [];
      expect(items[0]?.Update).toMatchObject({
        TableName: INVENTORY,
        Key: { pk: reservation.pk, sk: 'RESERVATION' },
        UpdateExpression:
          'SET #status = :released, releasedAt = :now, updatedAt = :now, releaseReason = :reason, #outbox = :outbox',
        ConditionExpression: '#status = :reserved',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED' },
      });
      expect(items.slice(1, 3).map((item) => item.Update)).toEqual([
        {
          TableName: INVENTORY,
          Key: { pk: 'STOCK#11111111-1111-1111-1111-111111111111', sk: 'STOCK' },
          UpdateExpression: 'ADD stock :q',
          ExpressionAttributeValues: { ':q': 2 },
        },
        {
          TableName: INVENTORY,
          Key: { pk: 'STOCK#33333333-3333-3333-3333-333333333333', sk: 'STOCK' },
          UpdateExpression: 'ADD stock :q',
          ExpressionAttributeValues: { ':q': 1 },
        },
      ]);
      expect(outboxEvent(transactions()[0]).event).toMatchObject({
        eventType: 'StockReleased',
        causationId: releaseRequested.eventId,
        payload: { reservationId: reservation.reservationId },
      });
    });

    it('returns ALREADY_RELEASED when a concurrent delivery released it first', async () => {
      // Prepare
      doc
        .on(GetCommand)
        .resolvesOnce({ Item: reservation })
        .resolves({ Item: { ...reservation, status: 'RELEASED' } });
      doc.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));

      // Act
      const outcome = await service().release(releaseRequested, NOW);

      // Assess
      expect(outcome).toBe('ALREADY_RELEASED');
      expect(transactions()).toHaveLength(1);
    });

    it('changes nothing for a REJECTED reservation', async () => {
      // Prepare
      doc.on(GetCommand).resolves({ Item: { ...reservation, status: 'REJECTED', lines: [] } });

      // Act
      const outcome = await service().release(releaseRequested, NOW);

      // Assess
      expect(outcome).toBe('NOTHING_RESERVED');
      expect(transactions()).toHaveLength(0);
    });

    it('throws a retryable error when the order has no reservation', async () => {
      // Prepare
      doc.on(GetCommand).resolves({});

      // Act
      const attempt = service().release(releaseRequested, NOW);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ReservationNotFoundError);
    });
  });
});
