import '#test/unit/setup-env';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SagaEvent } from '#functions/orders/domain/saga';
import type { OrderItem } from '#functions/orders/model';
import { OrderStore } from '#functions/orders/order-store';
import { applySagaEvent } from '#functions/orders/saga';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { createConsumer, type EventHandlers } from '#platform/consumer/consumer';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { ParkingLot } from '#platform/consumer/parking';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { emittedEvents } from '#test/helpers/table-events';
import { sample } from '#test/unit/events/helpers';

const ORDERS = 'orders';
const DEAD_LETTERS = 'dead-letters';
const IDEMPOTENCY = 'idempotency';
const NOW = new Date('2025-03-01T12:05:00.000Z');

let ddb: DynamoDbLocal | undefined;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;

const keyed = (
  name: string,
  withSortKey: boolean,
  indexes: { name: string; pk: string; sk: string }[] = [],
) =>
  new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    AttributeDefinitions: [
      { AttributeName: withSortKey ? 'pk' : 'id', AttributeType: 'S' as const },
      ...(withSortKey ? [{ AttributeName: 'sk', AttributeType: 'S' as const }] : []),
      ...indexes.flatMap((index) => [
        { AttributeName: index.pk, AttributeType: 'S' as const },
        { AttributeName: index.sk, AttributeType: 'S' as const },
      ]),
    ].filter(
      (attribute, position, all) =>
        all.findIndex((a) => a.AttributeName === attribute.AttributeName) === position,
    ),
    KeySchema: withSortKey
      ? [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ]
      : [{ AttributeName: 'id', KeyType: 'HASH' }],
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

function consumer(handlers: EventHandlers, service = 'orders') {
  return createConsumer({
    service,
    handlers,
    deadLetters: new DeadLetterStore(doc, DEAD_LETTERS),
    parking: new ParkingLot(doc, DEAD_LETTERS),
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: IDEMPOTENCY, awsSdkV3Client: client }),
    maxAttempts: 3,
    clock: () => NOW,
  });
}

/** The saga as it runs: no persistence store, its conditional save is its idempotency. */
function sagaConsumer(handlers: EventHandlers) {
  return createConsumer({
    service: 'orders',
    handlers,
    deadLetters: new DeadLetterStore(doc, DEAD_LETTERS),
    parking: new ParkingLot(doc, DEAD_LETTERS),
    maxAttempts: 3,
    clock: () => NOW,
  });
}

/** The idempotency records that name an event. */
const idempotencyRecordsOf = async (eventId: string) =>
  ((await client.send(new ScanCommand({ TableName: IDEMPOTENCY }))).Items ?? [])
    .map((item) => unmarshall(item))
    .filter((record) => JSON.stringify(record.data).includes(eventId));

const applyToOrders = async (event: SagaEvent): Promise<void> => {
  await applySagaEvent({ store: new OrderStore(doc, ORDERS) }, event, NOW);
};

async function placeOrder(orderId: string): Promise<void> {
  const order: OrderItem = {
    pk: `ORDER#${orderId}`,
    sk: 'ORDER',
    entity: 'ORDER',
    orderId,
    customerId: 'c-1',
    status: 'PENDING',
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
    version: 1,
    history: [{ status: 'PENDING', at: '2025-03-01T12:00:00.000Z', reason: 'Order placed' }],
  };
  await doc.send(new PutCommand({ TableName: ORDERS, Item: order }));
}

function reservedFor(orderId: string, eventId: string): SagaEvent {
  const event = sample('StockReserved');
  return { ...event, eventId, aggregateId: orderId, payload: { ...event.payload, orderId } };
}

const readOrder = async (orderId: string) =>
  (await doc.send(new GetCommand({ TableName: ORDERS, Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' } })))
    .Item as OrderItem | undefined;

/** The events the orders table emitted for an order (what its relay publishes from the stream). */
const outboxRows = async (orderId: string) =>
  (await emittedEvents(localDynamoClientConfig(ddb?.endpoint ?? ''), ORDERS)).filter(
    (event) => event.aggregateId === orderId,
  );

describe('Function: createConsumer (DynamoDB Local)', () => {
  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    client = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    await client.send(keyed(ORDERS, true));
    await client.send(
      keyed(DEAD_LETTERS, true, [
        { name: 'byStatus', pk: 'status', sk: 'createdAt' },
        { name: 'parked', pk: 'parkedService', sk: 'retryAt' },
      ]),
    );
    await client.send(keyed(IDEMPOTENCY, false));
  });

  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });

  it('changes nothing when the same record is delivered twice', async () => {
    // Prepare
    const orderId = 'order-twice';
    await placeOrder(orderId);
    const paymentSucceeded = sample('PaymentSucceeded');
    const payment = {
      ...paymentSucceeded,
      aggregateId: orderId,
      payload: { ...paymentSucceeded.payload, orderId },
    };
    const { consume } = consumer({ StockReserved: applyToOrders, PaymentSucceeded: applyToOrders });
    const batch = mskEvent([
      {
        topic: 'inventory.events',
        offset: 1,
        key: orderId,
        value: reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1001'),
      },
    ]);
    await consume(batch, lambdaContext());
    await consume(
      mskEvent([{ topic: 'payments.events', offset: 7, key: orderId, value: payment }]),
      lambdaContext(),
    );

    // Act
    await consume(batch, lambdaContext());
    await consume(
      mskEvent([{ topic: 'payments.events', offset: 7, key: orderId, value: payment }]),
      lambdaContext(),
    );

    // Assess
    const order = await readOrder(orderId);
    expect(order?.status).toBe('CONFIRMED');
    expect(order?.version).toBe(3);
    expect(order?.history.map((entry) => entry.status)).toEqual(['PENDING', 'STOCK_RESERVED', 'CONFIRMED']);
    expect((await outboxRows(orderId)).map((row) => row.eventType)).toEqual(['OrderConfirmed']);
  });

  it('applies the effect once when the handler crashes after its business write', async () => {
    // Prepare
    const orderId = 'order-crash';
    await placeOrder(orderId);
    let crashes = 0;
    const crashOnce = async (event: SagaEvent) => {
      await applyToOrders(event);
      if (crashes++ === 0) throw new Error('crashed before the idempotency record completed');
    };
    const { consume } = consumer({ StockReserved: crashOnce });
    const batch = mskEvent([
      {
        topic: 'inventory.events',
        offset: 3,
        key: orderId,
        value: reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1002'),
      },
    ]);
    const first = await consume(batch, lambdaContext());

    // Act
    const second = await consume(batch, lambdaContext());

    // Assess
    expect(first.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'inventory.events-0', offset: 3 } },
    ]);
    expect(second.batchItemFailures).toEqual([]);
    const order = await readOrder(orderId);
    expect(order?.status).toBe('STOCK_RESERVED');
    expect(order?.version).toBe(2);
    expect(order?.history.filter((entry) => entry.status === 'STOCK_RESERVED')).toHaveLength(1);
    const { Items } = await client.send(new ScanCommand({ TableName: IDEMPOTENCY }));
    const records = (Items ?? []).map((item) => unmarshall(item));
    expect(
      records
        .filter((record) => JSON.stringify(record.data).includes('01JN8S7QWWHQQKNETG34RA1002'))
        .map((r) => r.status),
    ).toEqual(['COMPLETED']);
  });

  it('dead-letters poison records and processes the later good records of the partition', async () => {
    // Prepare
    const orderId = 'order-poison';
    await placeOrder(orderId);
    const { consume } = consumer({ StockReserved: applyToOrders });
    const unknownType = { ...sample('StockReserved'), eventType: 'StockTeleported' };

    // Act
    await consume(
      mskEvent([
        { topic: 'inventory.events', partition: 4, offset: 10, key: orderId, value: '{"not":"an envelope"' },
        { topic: 'inventory.events', partition: 4, offset: 11, key: orderId, value: unknownType },
        {
          topic: 'inventory.events',
          partition: 4,
          offset: 12,
          key: orderId,
          value: reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1003'),
        },
      ]),
      lambdaContext(),
    );

    // Assess
    expect((await readOrder(orderId))?.status).toBe('STOCK_RESERVED');
    const page = await new DeadLetterStore(doc, DEAD_LETTERS).list('OPEN', 10);
    const poison = page.items
      .filter((item) => item.partition === 4)
      .sort((a, b) => Number(b.offset) - Number(a.offset));
    expect(poison.map((item) => [item.offset, item.errorKind])).toEqual([
      ['11', 'UNKNOWN_EVENT_TYPE'],
      ['10', 'NOT_JSON'],
    ]);
    expect(poison[1]?.rawValue).toBe('{"not":"an envelope"');
  });

  it('dead-letters at once an event the saga rejects for good, without counting attempts', async () => {
    // Prepare: an order reserved without a reservation id cannot be compensated
    const orderId = 'order-broken';
    await placeOrder(orderId);
    await doc.send(
      new UpdateCommand({
        TableName: ORDERS,
        Key: { pk: `ORDER#${orderId}`, sk: 'ORDER' },
        UpdateExpression: 'SET #status = :reserved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':reserved': 'STOCK_RESERVED' },
      }),
    );
    const failed = sample('PaymentFailed');
    const event = {
      ...failed,
      eventId: '01JN8S7QWWHQQKNETG34RA1004',
      aggregateId: orderId,
      payload: { ...failed.payload, orderId },
    };
    const { consume } = consumer({ PaymentFailed: applyToOrders });

    // Act
    const run = consume(
      mskEvent([{ topic: 'payments.events', partition: 5, offset: 20, key: orderId, value: event }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).resolves.toEqual({ batchItemFailures: [] });
    const page = await new DeadLetterStore(doc, DEAD_LETTERS).list('OPEN', 50);
    expect(page.items.filter((item) => item.eventId === event.eventId)).toEqual([
      expect.objectContaining({
        service: 'orders',
        partition: 5,
        offset: '20',
        errorKind: 'HANDLER_REJECTED',
        errorCode: 'SAGA_INVARIANT_BROKEN',
        attempts: 1,
      }),
    ]);
    const counter = await doc.send(
      new GetCommand({
        TableName: DEAD_LETTERS,
        Key: { pk: `ATTEMPTS#orders#${event.eventId}`, sk: 'ATTEMPTS' },
      }),
    );
    expect(counter.Item).toBeUndefined();
    const order = await readOrder(orderId);
    expect(order?.status).toBe('STOCK_RESERVED');
    expect(await outboxRows(orderId)).toEqual([]);
  });

  it('redrives a dead letter to its own service once, and that service processes it on its next sweep', async () => {
    // Prepare: the order the rejected event was for is fixed, then its dead letter is redriven
    const store = new DeadLetterStore(doc, DEAD_LETTERS);
    const letter = (await store.list('OPEN', 50)).items.find((item) => item.errorKind === 'HANDLER_REJECTED');
    if (!letter?.aggregateId) throw new Error('no rejected dead letter to redrive');
    await doc.send(
      new UpdateCommand({
        TableName: ORDERS,
        Key: { pk: `ORDER#${letter.aggregateId}`, sk: 'ORDER' },
        UpdateExpression: 'SET reservationId = :reservation',
        ExpressionAttributeValues: { ':reservation': 'res-fixed' },
      }),
    );
    const otherHandler = vi.fn(async () => undefined);
    const other = consumer({ PaymentFailed: otherHandler }, 'notifications');
    const own = consumer({ PaymentFailed: applyToOrders });

    // Act
    const first = await store.redrive(letter.id, NOW, 'ops@example.com');
    const second = await store.redrive(letter.id, NOW, 'ops@example.com');
    const otherSwept = await other.sweepParked(lambdaContext());
    const swept = await own.sweepParked(lambdaContext());
    const sweptAgain = await own.sweepParked(lambdaContext());

    // Assess
    expect(first.outcome).toBe('REDRIVEN');
    expect(second.outcome).toBe('ALREADY_REDRIVEN');
    expect(swept).toEqual({ retried: 1, done: 1, parkedAgain: 0 });
    expect(sweptAgain.retried).toBe(0);
    expect(otherSwept.retried).toBe(0);
    expect(otherHandler).not.toHaveBeenCalled();
    const order = await readOrder(letter.aggregateId);
    expect(order?.status).toBe('CANCELLED');
    expect((await outboxRows(letter.aggregateId)).map((row) => row.eventType).sort()).toEqual([
      'OrderCancelled',
      'StockReleaseRequested',
    ]);
    expect((await store.get(letter.id))?.redrivenBy).toBe('ops@example.com');
  });

  it('parks an event that is not ready yet and applies it when its sweep finds it ready', async () => {
    // Prepare: a version-1 payment (no reservation named) overtakes StockReserved
    const orderId = 'order-early';
    await placeOrder(orderId);
    const succeeded = sample('PaymentSucceeded');
    const early = {
      ...succeeded,
      eventId: '01JN8S7QWWHQQKNETG34RA1010',
      aggregateId: orderId,
      payload: { ...succeeded.payload, orderId },
    };
    const saga = consumer({ StockReserved: applyToOrders, PaymentSucceeded: applyToOrders });
    await saga.consume(
      mskEvent([{ topic: 'payments.events', offset: 1, key: orderId, value: early }]),
      lambdaContext(),
    );
    await saga.consume(
      mskEvent([
        {
          topic: 'inventory.events',
          offset: 2,
          key: orderId,
          value: reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1011'),
        },
      ]),
      lambdaContext(),
    );
    const parked = await new ParkingLot(doc, DEAD_LETTERS).due(
      'orders',
      new Date(NOW.getTime() + 60_000),
      10,
    );
    await doc.send(
      new UpdateCommand({
        TableName: DEAD_LETTERS,
        Key: { pk: `PARKED#orders#${early.eventId}`, sk: 'PARKED' },
        UpdateExpression: 'SET retryAt = :now',
        ExpressionAttributeValues: { ':now': NOW.toISOString() },
      }),
    );

    // Act
    const swept = await saga.sweepParked(lambdaContext());

    // Assess
    expect(parked.map((item) => item.eventId)).toEqual([early.eventId]);
    expect(swept).toMatchObject({ retried: 1, done: 1 });
    expect((await readOrder(orderId))?.status).toBe('CONFIRMED');
    const page = await new DeadLetterStore(doc, DEAD_LETTERS).list('OPEN', 50);
    expect(page.items.filter((item) => item.aggregateId === orderId)).toEqual([]);
  });

  it('changes nothing when the same record is delivered twice to a consumer without idempotency records', async () => {
    // Prepare
    const orderId = 'order-twice-saga';
    await placeOrder(orderId);
    const reserved = reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1020');
    const { consume } = sagaConsumer({ StockReserved: applyToOrders });
    const batch = mskEvent([{ topic: 'inventory.events', offset: 30, key: orderId, value: reserved }]);
    await consume(batch, lambdaContext());

    // Act
    const again = await consume(batch, lambdaContext());

    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    const order = await readOrder(orderId);
    expect(order?.status).toBe('STOCK_RESERVED');
    expect(order?.version).toBe(2);
    expect(order?.history.map((entry) => entry.status)).toEqual(['PENDING', 'STOCK_RESERVED']);
    expect(await outboxRows(orderId)).toEqual([]);
    expect(await idempotencyRecordsOf(reserved.eventId)).toEqual([]);
  });

  it('applies the effect once when a consumer without idempotency records crashes after its write', async () => {
    // Prepare
    const orderId = 'order-crash-saga';
    await placeOrder(orderId);
    let crashes = 0;
    const crashOnce = async (event: SagaEvent) => {
      await applyToOrders(event);
      if (crashes++ === 0) throw new Error('crashed after the business write');
    };
    const { consume } = sagaConsumer({ StockReserved: crashOnce });
    const batch = mskEvent([
      {
        topic: 'inventory.events',
        offset: 31,
        key: orderId,
        value: reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1021'),
      },
    ]);
    const first = await consume(batch, lambdaContext());

    // Act
    const second = await consume(batch, lambdaContext());

    // Assess
    expect(first.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'inventory.events-0', offset: 31 } },
    ]);
    expect(second.batchItemFailures).toEqual([]);
    const order = await readOrder(orderId);
    expect(order?.version).toBe(2);
    expect(order?.history.filter((entry) => entry.status === 'STOCK_RESERVED')).toHaveLength(1);
  });

  it('applies one event once when two consumers without idempotency records deliver it at the same time', async () => {
    // Prepare
    const orderId = 'order-concurrent-saga';
    await placeOrder(orderId);
    const reserved = reservedFor(orderId, '01JN8S7QWWHQQKNETG34RA1022');
    const payment = sample('PaymentSucceeded');
    const succeeded = {
      ...payment,
      eventId: '01JN8S7QWWHQQKNETG34RA1023',
      aggregateId: orderId,
      payload: { ...payment.payload, orderId },
    };
    const handlers = { StockReserved: applyToOrders, PaymentSucceeded: applyToOrders };
    const [one, other] = [sagaConsumer(handlers), sagaConsumer(handlers)];
    const stock = mskEvent([{ topic: 'inventory.events', offset: 32, key: orderId, value: reserved }]);
    const paid = mskEvent([{ topic: 'payments.events', offset: 33, key: orderId, value: succeeded }]);

    // Act
    const stockRuns = await Promise.all([
      one.consume(stock, lambdaContext()),
      other.consume(stock, lambdaContext()),
    ]);
    const paidRuns = await Promise.all([
      one.consume(paid, lambdaContext()),
      other.consume(paid, lambdaContext()),
    ]);

    // Assess
    expect([...stockRuns, ...paidRuns].map((run) => run.batchItemFailures)).toEqual([[], [], [], []]);
    const order = await readOrder(orderId);
    expect(order?.status).toBe('CONFIRMED');
    expect(order?.version).toBe(3);
    expect(order?.history.map((entry) => entry.status)).toEqual(['PENDING', 'STOCK_RESERVED', 'CONFIRMED']);
    expect((await outboxRows(orderId)).map((row) => row.eventType)).toEqual(['OrderConfirmed']);
    const parked = await new ParkingLot(doc, DEAD_LETTERS).due(
      'orders',
      new Date(NOW.getTime() + 3_600_000),
      50,
    );
    expect(parked.filter((item) => item.aggregateId === orderId)).toEqual([]);
  });
});
