import '#test/unit/setup-env';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DomainEventOf, parseEvent } from '#events';
import {
  type CarrierPort,
  CarrierUnavailableError,
  MockCarrier,
  mockTrackingNumber,
} from '#functions/shipping/carrier';
import type { ShipmentItem } from '#functions/shipping/model';
import {
  CarrierStillUnavailableError,
  ShippingService,
  UnknownShipmentError,
} from '#functions/shipping/service';
import { ShipmentStore } from '#functions/shipping/store';
import { latestSample } from '#test/unit/events/helpers';

const ddb = mockClient(DynamoDBDocumentClient);
const TABLE = 'shipping-test';
const NOW = new Date('2025-03-01T12:00:05.000Z');

const RECIPIENT = {
  customerId: '4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f',
  name: 'Alice',
  notifications: { email: true, sms: false },
};
const confirmed = (email = 'alice@example.com'): DomainEventOf<'OrderConfirmed', 2> => {
  const event = latestSample('OrderConfirmed');
  return { ...event, eventVersion: 2, payload: { ...event.payload, recipient: { ...RECIPIENT, email } } };
};
const cancelled = (): DomainEventOf<'OrderCancelled'> => {
  const event = latestSample('OrderCancelled');
  return {
    ...event,
    aggregateId: confirmed().aggregateId,
    payload: { ...event.payload, orderId: confirmed().payload.orderId },
  };
};
const ORDER_ID = confirmed().payload.orderId;
const SHIPMENT_ID = `shp-${ORDER_ID}`;

function shipment(status: ShipmentItem['status'], overrides: Partial<ShipmentItem> = {}): ShipmentItem {
  return {
    pk: `SHIPMENT#${SHIPMENT_ID}`,
    sk: 'SHIPMENT',
    entity: 'SHIPMENT',
    shipmentId: SHIPMENT_ID,
    orderId: ORDER_ID,
    status,
    version: 1,
    carrier: 'mock-carrier',
    trackingNumber: mockTrackingNumber(SHIPMENT_ID),
    recipient: confirmed().payload.recipient,
    correlationId: confirmed().correlationId,
    createdEventId: '01JN8S7SB1K8Z3W5YV0M2A4C6E',
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}

const service = (carrier: CarrierPort = new MockCarrier()) =>
  new ShippingService({
    store: new ShipmentStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE),
    carrier,
    backoff: async () => {},
  });

/** The events a written item carried (its outbox attribute), parsed. */
function eventsOf(item: Record<string, unknown> | undefined) {
  const entries = (item?.outbox ?? []) as { event: string }[];
  return entries.map((entry) => {
    const result = parseEvent(entry.event);
    if (!result.ok) throw new Error(result.error.message);
    return result.event;
  });
}

describe('Class: ShippingService', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('books a confirmed order and puts the CREATED shipment carrying ShipmentCreated, conditioned on no shipment', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // Act
    const outcome = await service().book(confirmed(), NOW);

    // Assess
    expect(outcome).toBe('CREATED');
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put?.Item).toMatchObject({ status: 'CREATED', trackingNumber: mockTrackingNumber(SHIPMENT_ID) });
    const [event] = eventsOf(put?.Item);
    expect(event).toMatchObject({
      eventType: 'ShipmentCreated',
      aggregateId: ORDER_ID,
      correlationId: confirmed().correlationId,
      causationId: confirmed().eventId,
      payload: { shipmentId: SHIPMENT_ID, carrier: 'mock-carrier', recipient: confirmed().payload.recipient },
    });
  });

  it('books nothing again for an order that has a shipment (a redelivery)', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: shipment('CREATED') });

    // Act
    const outcome = await service().book(confirmed(), NOW);

    // Assess
    expect(outcome).toBe('ALREADY_DONE');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('retries a flaky carrier within the call and books', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // Act
    const outcome = await service().book(confirmed('alice+ship-flaky@example.com'), NOW);

    // Assess
    expect(outcome).toBe('CREATED');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('leaves a carrier that stays down to the consumer retries (retryable) and writes nothing', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    const down = {
      name: 'down',
      book: async () => {
        throw new CarrierUnavailableError('503');
      },
      cancel: async () => {},
    };

    // Act
    const act = service(down).book(confirmed(), NOW);

    // Assess
    await expect(act).rejects.toBeInstanceOf(CarrierStillUnavailableError);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('records a refused booking as FAILED without an event', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // Act
    const outcome = await service().book(confirmed('alice+ship-fail@example.com'), NOW);

    // Assess
    expect(outcome).toBe('FAILED');
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject({ status: 'FAILED' });
    expect(item).not.toHaveProperty('outbox');
  });

  it('gives a booking back to the carrier when a cancellation tombstone won the put', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: shipment('CANCELLED', { trackingNumber: undefined }) });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const cancelledAtCarrier: string[] = [];
    const carrier: CarrierPort = {
      name: 'recording',
      book: async () => ({ carrier: 'recording', trackingNumber: 'TRK-1' }),
      cancel: async (trackingNumber) => {
        cancelledAtCarrier.push(trackingNumber);
      },
    };

    // Act
    const outcome = await service(carrier).book(confirmed(), NOW);

    // Assess
    expect(outcome).toBe('ALREADY_DONE');
    expect(cancelledAtCarrier).toEqual(['TRK-1']);
  });

  it('cancels a CREATED shipment at the carrier and records it, conditioned on its version', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: shipment('CREATED') });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const outcome = await service().cancel(cancelled(), NOW);

    // Assess
    expect(outcome).toBe('CANCELLED');
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('#version = :before');
    expect(Object.values(update?.ExpressionAttributeValues ?? {})).toContain('CANCELLED');
  });

  it('leaves a tombstone for an order cancelled before its booking, so a late OrderConfirmed books nothing', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: shipment('CANCELLED', { trackingNumber: undefined }) });
    ddb.on(PutCommand).resolves({});

    // Act
    const outcome = await service().cancel(cancelled(), NOW);
    const late = await service().book(confirmed(), NOW);

    // Assess
    expect(outcome).toBe('TOMBSTONE');
    expect(late).toBe('ALREADY_DONE');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('records a cancellation of a SHIPPED shipment as too late once, and tells a redelivery it was noted', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: shipment('SHIPPED') })
      .resolves({ Item: shipment('SHIPPED', { version: 2, cancelTooLateAt: NOW.toISOString() }) });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const first = await service().cancel(cancelled(), NOW);
    const again = await service().cancel(cancelled(), NOW);

    // Assess
    // Only the first is counted and reported (CancelsTooLate): the redelivery finds it recorded.
    expect([first, again]).toEqual(['TOO_LATE', 'TOO_LATE_NOTED']);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('applies a pickup report with OrderShipped on the shipment write, and a replay writes nothing', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: shipment('CREATED') })
      .resolves({ Item: shipment('SHIPPED', { version: 2 }) });
    ddb.on(UpdateCommand).resolves({});
    const report = {
      shipmentId: SHIPMENT_ID,
      trackingNumber: mockTrackingNumber(SHIPMENT_ID),
      eventId: 'evt-1',
      status: 'PICKED_UP' as const,
      occurredAt: '2025-03-01T15:00:00.000Z',
    };

    // Act
    const first = await service().report(report, NOW);
    const replay = await service().report(report, NOW);

    // Assess
    expect(first.kind).toBe('APPLIED');
    expect(replay.kind).toBe('UNCHANGED');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    const values = ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues ?? {};
    const events = (values[':outbox'] as { event: string }[]).map((entry) => JSON.parse(entry.event));
    expect(events.map((event) => [event.eventType, event.causationId, event.correlationId])).toEqual([
      ['OrderShipped', '01JN8S7SB1K8Z3W5YV0M2A4C6E', confirmed().correlationId],
    ]);
  });

  it('refuses a report for an unknown shipment or a wrong tracking number', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: shipment('CREATED') });
    const report = {
      shipmentId: SHIPMENT_ID,
      trackingNumber: 'MC-WRONG',
      eventId: 'evt-1',
      status: 'PICKED_UP' as const,
      occurredAt: '2025-03-01T15:00:00.000Z',
    };

    // Act
    const unknown = service().report(report, NOW);
    const wrong = service().report(report, NOW);

    // Assess
    await expect(unknown).rejects.toBeInstanceOf(UnknownShipmentError);
    await expect(wrong).rejects.toBeInstanceOf(UnknownShipmentError);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('decides again when a concurrent write changed the shipment', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: shipment('CREATED') })
      .resolves({ Item: shipment('SHIPPED', { version: 2 }) });
    ddb
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'stale', $metadata: {} }))
      .resolves({});

    // Act
    const outcome = await service().report(
      {
        shipmentId: SHIPMENT_ID,
        trackingNumber: mockTrackingNumber(SHIPMENT_ID),
        eventId: 'evt-2',
        status: 'DELIVERED',
        occurredAt: '2025-03-02T10:00:00.000Z',
      },
      NOW,
    );

    // Assess
    expect(outcome.kind).toBe('APPLIED');
    expect(outcome.kind === 'APPLIED' && outcome.emitted.map((event) => event.eventType)).toEqual([
      'OrderDelivered',
    ]);
  });
});
