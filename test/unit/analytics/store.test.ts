import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '#events';
import { COUNTER_SHARDS, counterShard } from '#functions/analytics/domain/counters';
import { getMetrics, hoursUntil } from '#functions/analytics/metrics-api';
import { AnalyticsStore, chunkEvents } from '#functions/analytics/store';
import { sample } from '../events/helpers';

const NOW = new Date('2025-03-01T12:30:00.000Z');
const TABLE = 'analytics';
const doc = mockClient(DynamoDBDocumentClient);
const store = () =>
  new AnalyticsStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    TABLE,
    async () => undefined,
  );

function events(
  count: number,
  type: 'OrderCreated' | 'OrderConfirmed' = 'OrderCreated',
  hour = 12,
): DomainEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    ...sample(type),
    eventId: `01JN8S7QWWHQQKNETG34R${type === 'OrderCreated' ? 'A' : 'B'}${String(index + 100 * hour).padStart(4, '0')}`,
    occurredAt: `2025-03-01T${String(hour).padStart(2, '0')}:0${index % 10}:00.000Z`,
  })) as DomainEvent[];
}

describe('Function: chunkEvents', () => {
  it('keeps every transaction within 100 items, markers and counters included', () => {
    // Prepare
    const input = [...events(120), ...events(30, 'OrderConfirmed', 13)];

    // Act
    const chunks = chunkEvents(input);

    // Assess
    expect(chunks.flat()).toHaveLength(150);
    for (const chunk of chunks) {
      const counters = new Set(chunk.map((event) => `${event.eventType}${event.occurredAt.slice(0, 13)}`));
      expect(chunk.length + counters.size).toBeLessThanOrEqual(100);
    }
    expect(chunks[0]).toHaveLength(99);
  });
});

describe('Class: AnalyticsStore', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('writes one marker per event and one ADD per counter and hour in one transaction', async () => {
    // Prepare
    doc.on(TransactWriteCommand).resolves({});
    const input = [...events(3), ...events(1, 'OrderConfirmed')];

    // Act
    const outcome = await store().count(input, NOW, { seed: 'orders.events-3' });

    // Assess
    expect(outcome).toEqual({ counted: 4, duplicates: 0, transactions: 1 });
    const items = doc.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(4 + 2);
    expect(items[0]?.Put).toEqual({
      TableName: TABLE,
      Item: {
        pk: `EVENT#${input[0]?.eventId}`,
        sk: 'EVENT',
        entity: 'EVENT_MARKER',
        eventType: 'OrderCreated',
        countedAt: NOW.toISOString(),
        expiresAt: Math.floor(NOW.getTime() / 1000) + 7 * 24 * 3600,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[4]?.Update).toEqual({
      TableName: TABLE,
      Key: { pk: 'HOUR#2025-03-01T12', sk: `ORDERS_CREATED#${counterShard('orders.events-3', 0)}` },
      UpdateExpression: 'ADD #count :n SET #entity = :entity, #hour = :hour, #counter = :counter',
      ExpressionAttributeNames: {
        '#count': 'count',
        '#entity': 'entity',
        '#hour': 'hour',
        '#counter': 'counter',
      },
      ExpressionAttributeValues: {
        ':n': 3,
        ':entity': 'COUNTER',
        ':hour': '2025-03-01T12',
        ':counter': 'ORDERS_CREATED',
      },
    });
    expect(items[5]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':n': 1,
      ':counter': 'ORDERS_CONFIRMED',
    });
  });

  it('drops events already counted and counts the rest when markers exist', async () => {
    // Prepare
    const input = events(3);
    doc
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }],
        }),
      )
      .resolves({});
    doc.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [{ pk: `EVENT#${input[0]?.eventId}` }] } });

    // Act
    const outcome = await store().count(input, NOW);

    // Assess
    expect(outcome).toEqual({ counted: 2, duplicates: 1, transactions: 2 });
    const retry = doc.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? [];
    expect(retry.map((item) => item.Put?.Item?.pk ?? item.Update?.ExpressionAttributeValues?.[':n'])).toEqual(
      [`EVENT#${input[1]?.eventId}`, `EVENT#${input[2]?.eventId}`, 2],
    );
  });

  it('retries a transaction cancelled by a conflict on another shard of its counters', async () => {
    // Prepare
    doc
      .on(TransactWriteCommand)
      .rejectsOnce(
        new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
        }),
      )
      .resolves({});
    doc.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });

    // Act
    const outcome = await store().count(events(1), NOW, { seed: 'orders.events-0' });

    // Assess
    expect(outcome).toEqual({ counted: 1, duplicates: 0, transactions: 2 });
    const counterKeys = doc
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems?.find((item) => item.Update)?.Update?.Key);
    expect(counterKeys).toEqual([
      { pk: 'HOUR#2025-03-01T12', sk: `ORDERS_CREATED#${counterShard('orders.events-0', 0)}` },
      { pk: 'HOUR#2025-03-01T12', sk: `ORDERS_CREATED#${counterShard('orders.events-0', 1)}` },
    ]);
    expect(counterKeys[0]).not.toEqual(counterKeys[1]);
  });

  it('counts batches of different partitions into different shards of a counter', () => {
    // Prepare
    const partitions = Array.from({ length: 6 }, (_, partition) => `orders.events-${partition}`);

    // Act
    const shards = partitions.map((seed) => counterShard(seed, 0));

    // Assess
    expect(new Set(shards).size).toBeGreaterThan(1);
    for (const shard of shards) expect(shard).toBeLessThan(COUNTER_SHARDS);
  });

  it('counts an event delivered twice in one batch once', async () => {
    // Prepare
    doc.on(TransactWriteCommand).resolves({});
    const [event] = events(1);

    // Act
    const outcome = await store().count(event ? [event, event] : [], NOW);

    // Assess
    expect(outcome).toEqual({ counted: 1, duplicates: 1, transactions: 1 });
  });
});

describe('Function: getMetrics', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('sums the counters of the window into order statuses and lists every hour', async () => {
    // Prepare
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'HOUR#2025-03-01T12' } }).resolves({
      Items: [
        { pk: 'HOUR#2025-03-01T12', sk: 'ORDERS_CREATED', count: 5 },
        { pk: 'HOUR#2025-03-01T12', sk: 'ORDERS_CONFIRMED', count: 3 },
      ],
    });
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'HOUR#2025-03-01T11' } }).resolves({
      Items: [{ pk: 'HOUR#2025-03-01T11', sk: 'ORDERS_CANCELLED', count: 1 }],
    });

    // Act
    const metrics = await getMetrics(store(), { queryStringParameters: { hours: '2' } }, NOW);

    // Assess
    expect(metrics).toEqual({
      hours: 2,
      from: '2025-03-01T11:00:00Z',
      byStatus: { PLACED: 5, CONFIRMED: 3, SHIPPED: 0, DELIVERED: 0, CANCELLED: 1, IN_PROGRESS: 1 },
      totals: { ORDERS_CREATED: 5, ORDERS_CONFIRMED: 3, ORDERS_CANCELLED: 1 },
      hourly: [
        { hour: '2025-03-01T11:00:00Z', counters: { ORDERS_CANCELLED: 1 } },
        { hour: '2025-03-01T12:00:00Z', counters: { ORDERS_CREATED: 5, ORDERS_CONFIRMED: 3 } },
      ],
    });
  });

  it('sums the shards of a counter, and counter items written before sharding', async () => {
    // Prepare
    doc.on(QueryCommand).resolves({ Items: [] });
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'HOUR#2025-03-01T12' } }).resolves({
      Items: [
        { pk: 'HOUR#2025-03-01T12', sk: 'ORDERS_CREATED#3', counter: 'ORDERS_CREATED', count: 2 },
        { pk: 'HOUR#2025-03-01T12', sk: 'ORDERS_CREATED#11', counter: 'ORDERS_CREATED', count: 3 },
        { pk: 'HOUR#2025-03-01T12', sk: 'ORDERS_CREATED', count: 1 },
        { pk: 'HOUR#2025-03-01T12', sk: 'ORDERS_CONFIRMED#0', count: 4 },
      ],
    });

    // Act
    const metrics = await getMetrics(store(), { queryStringParameters: { hours: '1' } }, NOW);

    // Assess
    expect(metrics.totals).toEqual({ ORDERS_CREATED: 6, ORDERS_CONFIRMED: 4 });
  });

  it.each(['0', '169', 'a day'])('rejects hours=%s with 400 without reading', async (hours) => {
    // Prepare
    const event = { queryStringParameters: { hours } };

    // Act
    const error = await getMetrics(store(), event, NOW).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    // Assess
    expect(error).toMatchObject({ statusCode: 400, code: 'INVALID_QUERY' });
    expect(doc.calls()).toHaveLength(0);
  });

  it('lists the hours of the window oldest first, across midnight', () => {
    // Prepare
    const now = new Date('2025-03-02T01:10:00.000Z');

    // Act
    const hours = hoursUntil(now, 3);

    // Assess
    expect(hours).toEqual(['2025-03-01T23', '2025-03-02T00', '2025-03-02T01']);
  });
});
