import '#test/unit/setup-env';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { MSKEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { DomainEventOf } from '#events';
import type { BookingRequest } from '#functions/shipping/carrier';
import type { ShipmentItem } from '#functions/shipping/model';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { emittedEvents } from '#test/helpers/table-events';
import { latestSample } from '#test/unit/events/helpers';

const SHIPPING = 'shipping';
const DEAD_LETTERS = 'dead-letters';

let ddb: DynamoDbLocal | undefined;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let handler: (event: MSKEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
let book: MockInstance<(request: BookingRequest) => Promise<unknown>>;
let cancelAtCarrier: MockInstance<(trackingNumber: string) => Promise<void>>;
let create: MockInstance<(...args: never[]) => Promise<'CREATED' | 'EXISTS'>>;
let offset = 0;

const table = (name: string, indexes: { name: string; pk: string; sk: string }[] = []) =>
  new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      ...[...new Set(indexes.flatMap((index) => [index.pk, index.sk]))].map((attribute) => ({
        AttributeName: attribute,
        AttributeType: 'S' as const,
      })),
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    ...(indexes.length > 0
      ? {
          GlobalSecondaryIndexes: indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.pk, KeyType: 'HASH' as const },
              { AttributeName: index.sk, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  });

/** An OrderConfirmed (and its OrderCancelled) of an order of its own. */
function orderEvents(orderId: string) {
  const confirmed = latestSample('OrderConfirmed');
  const cancelled = latestSample('OrderCancelled');
  return {
    confirmed: {
      ...confirmed,
      aggregateId: orderId,
      payload: { ...confirmed.payload, orderId },
    } as DomainEventOf<'OrderConfirmed'>,
    cancelled: {
      ...cancelled,
      aggregateId: orderId,
      payload: { ...cancelled.payload, orderId },
    } as DomainEventOf<'OrderCancelled'>,
  };
}

/** One delivery of an event from `orders.events` (a redelivery has the same offset). */
const delivery = (value: { aggregateId: string }, at = ++offset) =>
  mskEvent([{ topic: 'orders.events', offset: at, key: value.aggregateId, value }]);

const shipmentOf = async (orderId: string) =>
  (
    await doc.send(
      new GetCommand({
        TableName: SHIPPING,
        Key: { pk: `SHIPMENT#shp-${orderId}`, sk: 'SHIPMENT' },
        ConsistentRead: true,
      }),
    )
  ).Item as ShipmentItem | undefined;

/** The events the shipping table emitted for an order (what its relay publishes from the stream). */
const emittedFor = async (orderId: string) =>
  (await emittedEvents(localDynamoClientConfig(ddb?.endpoint ?? ''), SHIPPING))
    .filter((event) => event.aggregateId === orderId)
    .map((event) => event.eventType);

/** The shipments the carrier was asked to book for an order: its idempotency key is the shipmentId. */
const bookingsAsked = (orderId: string) =>
  book.mock.calls.map(([request]) => request).filter((request) => request.orderId === orderId);

describe('Function: shipping consumer without idempotency records (DynamoDB Local)', () => {
  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    raw = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    doc = DynamoDBDocumentClient.from(raw);
    await raw.send(table(SHIPPING));
    await raw.send(
      table(DEAD_LETTERS, [
        { name: 'byStatus', pk: 'status', sk: 'createdAt' },
        { name: 'parked', pk: 'parkedService', sk: 'retryAt' },
      ]),
    );
    vi.stubEnv('SHIPPING_TABLE_NAME', SHIPPING);
    vi.stubEnv('DEAD_LETTER_TABLE_NAME', DEAD_LETTERS);
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'shipping');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', ddb.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.resetModules();
    // The consumer's module graph, loaded fresh with the environment above.
    const { MockCarrier } = await import('#functions/shipping/carrier');
    const { ShipmentStore } = await import('#functions/shipping/store');
    book = vi.spyOn(MockCarrier.prototype, 'book');
    cancelAtCarrier = vi.spyOn(MockCarrier.prototype, 'cancel');
    create = vi.spyOn(ShipmentStore.prototype, 'create') as unknown as typeof create;
    ({ handler } = await import('#functions/shipping/handlers/consumer'));
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    raw?.destroy();
    await ddb?.stop();
  });

  it('has no idempotency table to write: its contract keeps no record per event', async () => {
    // Act
    const { ShippingConsumerFn } = await import('#functions/shipping/contract');

    // Assess
    expect(ShippingConsumerFn.tables).not.toHaveProperty('IDEMPOTENCY_TABLE_NAME');
  });

  it('books one parcel and puts one shipment when the same OrderConfirmed is delivered twice', async () => {
    // Prepare
    const orderId = '01JN8S7QG0SHIPTWICE0000001';
    const { confirmed } = orderEvents(orderId);
    const record = delivery(confirmed);
    const first = await handler(record, lambdaContext());

    // Act
    const again = await handler(record, lambdaContext());

    // Assess
    expect([first, again]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    // The redelivery finds the shipment and does not call the carrier.
    expect(bookingsAsked(orderId)).toHaveLength(1);
    expect(await shipmentOf(orderId)).toMatchObject({ status: 'CREATED', version: 1 });
    expect(await emittedFor(orderId)).toEqual(['ShipmentCreated']);
  });

  it('ends with one booking and one shipment when a delivery crashes after the carrier booked, before its put', async () => {
    // Prepare
    const orderId = '01JN8S7QG0SHIPCRASH0000001';
    const { confirmed } = orderEvents(orderId);
    const record = delivery(confirmed);
    create.mockImplementationOnce(async () => {
      throw new Error('crashed after the carrier booked, before the shipment was put');
    });
    const crashed = await handler(record, lambdaContext());

    // Act
    const redelivered = await handler(record, lambdaContext());

    // Assess
    expect(crashed).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders.events-0', offset } }],
    });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    // Booked twice under the same idempotency key (the shipmentId): one parcel at the carrier.
    const asked = bookingsAsked(orderId);
    expect(asked).toHaveLength(2);
    expect(new Set(asked.map((request) => request.shipmentId))).toEqual(new Set([`shp-${orderId}`]));
    const results = await Promise.all(
      book.mock.results
        .filter((_, call) => book.mock.calls[call]?.[0].orderId === orderId)
        .map((result) => result.value as Promise<{ trackingNumber: string }>),
    );
    const shipment = await shipmentOf(orderId);
    expect(results.map((booking) => booking.trackingNumber)).toEqual([
      shipment?.trackingNumber,
      shipment?.trackingNumber,
    ]);
    expect(shipment).toMatchObject({ status: 'CREATED', version: 1 });
    expect(await emittedFor(orderId)).toEqual(['ShipmentCreated']);
  });

  it('books one parcel when two deliveries of an OrderConfirmed run at the same time', async () => {
    // Prepare
    const orderId = '01JN8S7QG0SHIPRACE00000001';
    const { confirmed } = orderEvents(orderId);
    const record = delivery(confirmed);

    // Act
    const runs = await Promise.all([handler(record, lambdaContext()), handler(record, lambdaContext())]);

    // Assess
    expect(runs).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(new Set(bookingsAsked(orderId).map((request) => request.shipmentId))).toEqual(
      new Set([`shp-${orderId}`]),
    );
    expect(await shipmentOf(orderId)).toMatchObject({ status: 'CREATED', version: 1 });
    expect(await emittedFor(orderId)).toEqual(['ShipmentCreated']);
  });

  it('cancels the parcel at the carrier once when the same OrderCancelled is delivered twice', async () => {
    // Prepare
    const orderId = '01JN8S7QG0SHIPCANCEL000001';
    const { confirmed, cancelled } = orderEvents(orderId);
    await handler(delivery(confirmed), lambdaContext());
    const record = delivery(cancelled);
    const cancelsBefore = cancelAtCarrier.mock.calls.length;
    const first = await handler(record, lambdaContext());

    // Act
    const again = await handler(record, lambdaContext());

    // Assess
    expect([first, again]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const shipment = await shipmentOf(orderId);
    expect(shipment).toMatchObject({ status: 'CANCELLED', version: 2 });
    expect(cancelAtCarrier.mock.calls.slice(cancelsBefore)).toEqual([[shipment?.trackingNumber]]);
    expect(await emittedFor(orderId)).toEqual(['ShipmentCreated']);
  });
});
