import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type DomainEventOf } from '#events';
import { InventoryBusyError } from '#functions/inventory/errors';
import { InventoryService, type ReserveOutcome } from '#functions/inventory/service';
import { stockKey } from '#functions/inventory/stock';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { type EmittedEvent, emittedEvents } from '#test/helpers/table-events';

const INVENTORY = 'inventory';
const NOW = new Date('2025-03-01T12:00:00.000Z');

let ddb: DynamoDbLocal | undefined;
let raw: DynamoDBClient;
let client: DynamoDBDocumentClient;
let inventory: InventoryService;

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

function orderCreated(orderId: string, productId: string, quantity: number): DomainEventOf<'OrderCreated'> {
  return createEvent(
    'OrderCreated',
    {
      orderId,
      customerId: 'c-1',
      lines: [
        {
          productId,
          sellerId: 'seller-1',
          name: 'Last units',
          quantity,
          unitPrice: eur(500),
          lineTotal: eur(500 * quantity),
        },
      ],
      total: eur(500 * quantity),
      payment: { method: 'card', token: 'tok_ok' },
      createdAt: NOW.toISOString(),
    },
    { source: 'order-service', aggregateId: orderId, now: NOW },
  );
}

async function seedProduct(productId: string, stock: number): Promise<void> {
  await client.send(
    new PutCommand({
      TableName: INVENTORY,
      Item: { ...stockKey(productId), entity: 'STOCK', productId, stock },
    }),
  );
}

async function stockOf(productId: string): Promise<number> {
  const { Item } = await client.send(
    new GetCommand({ TableName: INVENTORY, Key: stockKey(productId), ConsistentRead: true }),
  );
  return Number(Item?.stock);
}

/** Every event the inventory table emitted (what its relay publishes from the stream). */
async function outboxRows(): Promise<EmittedEvent[]> {
  return emittedEvents(localDynamoClientConfig(ddb?.endpoint ?? ''), INVENTORY);
}

/** Redelivers an event while the service reports contention, as the consumer's retries would. */
async function deliver<T>(run: () => Promise<T>, redeliveries = 20): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof InventoryBusyError) || attempt >= redeliveries) throw error;
    }
  }
}

describe('Class: InventoryService (DynamoDB Local)', () => {
  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    raw = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    await raw.send(
      new CreateTableCommand({
        TableName: INVENTORY,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    inventory = new InventoryService({
      client,
      inventoryTable: INVENTORY,
      maxAttempts: 10,
    });
  });

  afterAll(async () => {
    raw?.destroy();
    await ddb?.stop();
  });

  it('sells exactly the stock to 100 concurrent orders for 30 units, never below zero', async () => {
    // Prepare
    const productId = 'p-last-30';
    await seedProduct(productId, 30);
    const events = Array.from({ length: 100 }, (_, i) =>
      orderCreated(`order-${String(i).padStart(3, '0')}`, productId, 1),
    );

    // Act
    const outcomes = await Promise.all(events.map((event) => deliver(() => inventory.reserve(event, NOW))));
    const redelivered = await Promise.all(events.slice(0, 10).map((event) => inventory.reserve(event, NOW)));

    // Assess
    const tally = (list: ReserveOutcome[], outcome: ReserveOutcome) =>
      list.filter((o) => o === outcome).length;
    expect(tally(outcomes, 'RESERVED')).toBe(30);
    expect(tally(outcomes, 'REJECTED')).toBe(70);
    expect(redelivered).toEqual(Array.from({ length: 10 }, () => 'ALREADY_DONE'));
    expect(await stockOf(productId)).toBe(0);
    const rows = await outboxRows();
    expect(rows.filter((row) => row.eventType === 'StockReserved')).toHaveLength(30);
    const rejected = rows.filter((row) => row.eventType === 'StockRejected');
    expect(rejected).toHaveLength(70);
    expect(new Set(rows.map((row) => row.aggregateId)).size).toBe(100);
    for (const row of rejected) {
      const { payload } = JSON.parse(row.event) as {
        payload: { lines: { available: number; requested: number }[] };
      };
      expect(payload.lines[0]?.available).toBe(0);
      expect(payload.lines[0]?.requested).toBe(1);
    }
  });

  it('restores the stock of a reservation once, however often the release is delivered', async () => {
    // Prepare
    const productId = 'p-release';
    await seedProduct(productId, 10);
    const created = orderCreated('order-release', productId, 4);
    expect(await inventory.reserve(created, NOW)).toBe('RESERVED');
    expect(await stockOf(productId)).toBe(6);
    const release = createEvent(
      'StockReleaseRequested',
      {
        orderId: 'order-release',
        reservationId: 'res-order-release',
        lines: [{ productId, quantity: 4 }],
        reason: 'PAYMENT_FAILED',
      },
      { source: 'order-service', aggregateId: 'order-release', correlationId: created.eventId, now: NOW },
    );

    // Act
    const concurrent = await Promise.all([
      deliver(() => inventory.release(release, NOW)),
      deliver(() => inventory.release(release, NOW)),
    ]);
    const again = await inventory.release(release, NOW);

    // Assess
    expect([...concurrent].sort()).toEqual(['ALREADY_RELEASED', 'RELEASED']);
    expect(again).toBe('ALREADY_RELEASED');
    expect(await stockOf(productId)).toBe(10);
    const released = (await outboxRows()).filter(
      (row) => row.eventType === 'StockReleased' && row.aggregateId === 'order-release',
    );
    expect(released).toHaveLength(1);
  });

  it('reserves a multi-line order all or nothing', async () => {
    // Prepare
    await seedProduct('p-plenty', 100);
    await seedProduct('p-scarce', 1);
    const event = createEvent(
      'OrderCreated',
      {
        orderId: 'order-multi',
        customerId: 'c-1',
        lines: [
          {
            productId: 'p-plenty',
            sellerId: 's-1',
            name: 'A',
            quantity: 5,
            unitPrice: eur(100),
            lineTotal: eur(500),
          },
          {
            productId: 'p-scarce',
            sellerId: 's-2',
            name: 'B',
            quantity: 2,
            unitPrice: eur(100),
            lineTotal: eur(200),
          },
        ],
        total: eur(700),
        payment: { method: 'card', token: 'tok_ok' },
        createdAt: NOW.toISOString(),
      },
      { source: 'order-service', aggregateId: 'order-multi', now: NOW },
    );

    // Act
    const outcome = await inventory.reserve(event, NOW);

    // Assess
    expect(outcome).toBe('REJECTED');
    expect(await stockOf('p-plenty')).toBe(100);
    expect(await stockOf('p-scarce')).toBe(1);
    const row = (await outboxRows()).find((r) => r.aggregateId === 'order-multi');
    expect(JSON.parse(String(row?.event)).payload).toEqual({
      orderId: 'order-multi',
      reason: 'INSUFFICIENT_STOCK',
      lines: [{ productId: 'p-scarce', requested: 2, available: 1 }],
    });
  });
});
