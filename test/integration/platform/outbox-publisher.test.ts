import './setup-env';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBRecord } from 'aws-lambda';
import { type IHeaders, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALL_TOPICS, type DomainEvent, parseEvent, topicFor } from '#events';
import { DynamoDbLocal, KafkaMock, localDynamoClientConfig } from '#localstack/engines/index';
import { KafkaEventProducer, type KafkaSettings } from '#platform/outbox/kafka-producer';
import { type EventProducer, type OutboundMessage, PublishError } from '#platform/outbox/producer';
import { OutboxPublisher, type PublishOutcome } from '#platform/outbox/publisher';
import { type OutboxRow, outboxPut, rawOutboxRow, UNPUBLISHED_INDEX } from '#platform/outbox/row';
import { DynamoOutboxStore } from '#platform/outbox/store';
import { waitFor } from '#test/helpers/wait';
import {
  CANCELLED_ORDER,
  CONFIRMED_ORDER,
  CONFIRMED_ORDER_SERVICE,
  interleave,
  NOTIFIED_ORDER,
  PAYMENT_FAILED_ORDER_SERVICE,
  type PlannedSaga,
  type SagaStep,
  sagaEvent,
} from './saga';

const PARTITIONS = 3;
/** How long the brokers stay down in the outage test; shorter than the client's retries last. */
const OUTAGE_MS = 5_000;
const KAFKA_WAIT_MS = 30_000;
/** The sweeper's default grace period (`OUTBOX_GRACE_SECONDS`). */
const SWEEPER_GRACE_MS = 120_000;
/** A cutoff that takes every row written so far, however recent. */
const everything = () => new Date(Date.now() + 1_000);

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A record as read from Kafka, with key, value and headers decoded. */
interface Received {
  topic: string;
  partition: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Fails one `send` after the bus has taken the messages, as when the acknowledgement is lost: the
 * messages are on Kafka but the publisher must treat them as not sent.
 */
class LosesOneAcknowledgement implements EventProducer {
  private calls = 0;

  constructor(
    private readonly inner: EventProducer,
    private readonly failingCall: number,
  ) {}

  async send(messages: readonly OutboundMessage[]): Promise<void> {
    this.calls += 1;
    await this.inner.send(messages);
    if (this.calls === this.failingCall) {
      throw new PublishError(`the acknowledgement of send #${this.calls} was lost`);
    }
  }

  disconnect(): Promise<void> {
    return this.inner.disconnect();
  }
}

const headerStrings = (headers: IHeaders | undefined): Record<string, string> => {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) decoded[name] = first.toString();
  }
  return decoded;
};

/** Stream records as the SDK returns them carry Dates and bytes; Lambda receives epoch seconds and base64. */
const toLambdaValue = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map(toLambdaValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([name, field]) => [name, toLambdaValue(field)]),
    );
  }
  return value;
};

const toLambdaRecord = (record: _Record, streamArn: string): DynamoDBRecord => ({
  ...(toLambdaValue(record) as DynamoDBRecord),
  eventSourceARN: streamArn,
});

const lambdaContext = (functionName: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: `2025/01/01/[$LATEST]${randomUUID().replaceAll('-', '')}`,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

const newOrderId = (): string => `order-${randomUUID()}`;
const keysOf = (sagas: readonly PlannedSaga[]): Set<string> => new Set(sagas.map((saga) => saga.orderId));
const idsOf = (items: readonly { eventId?: unknown }[]): string[] =>
  items.map((item) => String(item.eventId));

/** True once every event id is among the received messages at least `times` times. */
const received =
  (eventIds: readonly string[], times = 1) =>
  (messages: readonly Received[]): boolean =>
    eventIds.every(
      (eventId) => messages.filter((message) => message.headers.eventId === eventId).length >= times,
    );

/**
 * Kafka guarantees order per partition, and every message of one key on one topic goes to one
 * partition: per topic and key, the first delivery of each event must follow eventId order.
 */
const expectEventIdOrderPerKey = (messages: readonly Received[], events: readonly DomainEvent[]): void => {
  const expected = new Map<string, { topic: string; key: string; eventIds: string[] }>();
  for (const event of events) {
    const topic = topicFor(event.eventType);
    const group = `${topic} ${event.aggregateId}`;
    const entry = expected.get(group) ?? { topic, key: event.aggregateId, eventIds: [] };
    entry.eventIds.push(event.eventId);
    expected.set(group, entry);
  }
  for (const { topic, key, eventIds } of expected.values()) {
    const ofKey = messages.filter((message) => message.topic === topic && message.key === key);
    const firstDeliveries = [...new Set(ofKey.map((message) => message.headers.eventId))];
    expect(firstDeliveries, `events of ${key} on ${topic}`).toEqual([...eventIds].sort());
    expect(new Set(ofKey.map((message) => message.partition)).size, `partitions of ${key} on ${topic}`).toBe(
      1,
    );
  }
};

const expectAllPublished = (rows: readonly OutboxRow[], eventIds: readonly string[]): void => {
  expect(idsOf(rows).sort()).toEqual([...eventIds].sort());
  for (const row of rows) {
    expect(row.publishedAt, `publishedAt of ${row.eventId}`).toEqual(expect.any(String));
    expect(row.expiresAt, `expiresAt of ${row.eventId}`).toEqual(expect.any(Number));
    expect(row, `row ${row.eventId}`).not.toHaveProperty('unpublishedShard');
  }
};

describe('Class: OutboxPublisher (DynamoDB Local + Kafka mock)', () => {
  let ddb: DynamoDbLocal | undefined;
  let mock: KafkaMock | undefined;
  let dynamo: DynamoDBClient | undefined;
  let documents: DynamoDBDocumentClient;
  let kafka: Kafka;

  const engines = (): { ddb: DynamoDbLocal; mock: KafkaMock } => {
    if (!ddb || !mock) throw new Error('the local engines did not start');
    return { ddb, mock };
  };

  beforeAll(async () => {
    const [dynamoStart, kafkaStart] = await Promise.allSettled([DynamoDbLocal.start(), KafkaMock.start()]);
    if (dynamoStart.status === 'fulfilled') ddb = dynamoStart.value;
    if (kafkaStart.status === 'fulfilled') mock = kafkaStart.value;
    if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
    if (kafkaStart.status === 'rejected') throw kafkaStart.reason;
    const started = engines();
    // Topics must exist before any client asks for them, or the mock creates them with 4 partitions.
    for (const topic of ALL_TOPICS) await started.mock.createTopic(topic, PARTITIONS);
    dynamo = new DynamoDBClient(localDynamoClientConfig(started.ddb.endpoint));
    documents = DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    kafka = new Kafka({
      clientId: 'outbox-test-reader',
      brokers: started.mock.brokers,
      logLevel: logLevel.NOTHING,
    });
  });

  afterAll(async () => {
    dynamo?.destroy();
    const stopped = await Promise.allSettled([mock?.stop(), ddb?.stop()]);
    const failures = stopped.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (failures.length > 0) throw new AggregateError(failures, 'stopping the local engines failed');
  });

  const kafkaSettings = (retries: number, requestTimeoutMs: number): KafkaSettings => ({
    bootstrapBrokers: engines().mock.bootstrapServers,
    clusterArn: '',
    auth: 'none',
    idempotent: false,
    clientId: 'test',
    region: 'us-east-1',
    retries,
    requestTimeoutMs,
  });

  /** A service table as the CDK stack defines it: pk/sk, NEW_IMAGE stream, sparse `unpublished` index. */
  const createOutboxTable = async (purpose: string): Promise<string> => {
    const tableName = `outbox-${purpose}-${randomUUID().slice(0, 8)}`;
    const client = dynamo;
    if (!client) throw new Error('DynamoDB Local did not start');
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'unpublishedShard', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: UNPUBLISHED_INDEX,
            KeySchema: [
              { AttributeName: 'unpublishedShard', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
      }),
    );
    await waitFor(
      async () => {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        return Table?.TableStatus === 'ACTIVE';
      },
      { timeoutMs: 10_000, description: `table ${tableName} active` },
    );
    return tableName;
  };

  /**
   * Writes the sagas' events as the services do, one transaction per state change with the outbox row
   * in it, the orders progressing side by side. Returns the events in the order they were written.
   */
  const writeSagas = async (
    tableName: string,
    sagas: readonly PlannedSaga[],
    options: {
      occurredAt?: (index: number) => Date;
      stateChange?: (event: DomainEvent, step: SagaStep) => TransactItem[];
    } = {},
  ): Promise<DomainEvent[]> => {
    const { occurredAt = () => new Date(), stateChange = () => [] } = options;
    const latest = new Map<string, DomainEvent>();
    const written: DomainEvent[] = [];
    for (const [index, { orderId, step }] of interleave(sagas).entries()) {
      const event = sagaEvent(step, orderId, latest.get(orderId), occurredAt(index));
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [...stateChange(event, step), outboxPut(tableName, event)],
        }),
      );
      latest.set(orderId, event);
      written.push(event);
    }
    return written;
  };

  const scanOutbox = async (tableName: string): Promise<OutboxRow[]> => {
    const rows: OutboxRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      rows.push(...((page.Items ?? []) as OutboxRow[]).filter((item) => item.entity === 'OUTBOX'));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return rows;
  };

  /**
   * Reads every topic from the beginning with a fresh consumer group, keeping the messages whose key
   * is in `keys`, until `done` holds for them.
   */
  const readKafka = async (
    keys: ReadonlySet<string>,
    done: (messages: readonly Received[]) => boolean,
    description: string,
  ): Promise<Received[]> => {
    const consumer = kafka.consumer({
      groupId: `outbox-test-${randomUUID()}`,
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      // A long-polling fetch holds up disconnect; keep it short.
      maxWaitTimeInMs: 500,
    });
    const messages: Received[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...ALL_TOPICS], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const key = message.key?.toString() ?? '';
          if (!keys.has(key)) return;
          messages.push({
            topic,
            partition,
            key,
            value: message.value?.toString() ?? '',
            headers: headerStrings(message.headers),
          });
        },
      });
      await waitFor(
        () => {
          if (done(messages)) return true;
          throw new Error(`${messages.length} matching message(s) so far`);
        },
        { timeoutMs: KAFKA_WAIT_MS, intervalMs: 50, description },
      );
    } finally {
      await consumer.disconnect();
    }
    return [...messages];
  };

  /** Every record of the table's stream from TRIM_HORIZON, shard by shard. */
  const readStream = async (tableName: string): Promise<{ streamArn: string; records: _Record[] }> => {
    const client = dynamo;
    if (!client) throw new Error('DynamoDB Local did not start');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`table ${tableName} has no stream`);
    const streams = new DynamoDBStreamsClient(localDynamoClientConfig(engines().ddb.endpoint));
    try {
      const records: _Record[] = [];
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
      for (const shard of StreamDescription?.Shards ?? []) {
        let { ShardIterator: iterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        );
        while (iterator) {
          const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
          const batch = page.Records ?? [];
          records.push(...batch);
          // An open shard always hands out a next iterator; an empty page means it is read to its end.
          iterator = batch.length > 0 ? page.NextShardIterator : undefined;
        }
      }
      return { streamArn, records };
    } finally {
      streams.destroy();
    }
  };

  it('publishes every row keyed by its orderId, in eventId order per key, and marks all rows published', async () => {
    // Prepare
    const tableName = await createOutboxTable('in-order');
    const sagas = Array.from({ length: 5 }, (_, index) => ({
      orderId: newOrderId(),
      steps: index % 2 === 0 ? CONFIRMED_ORDER : CANCELLED_ORDER,
    }));
    const events = await writeSagas(tableName, sagas);
    const written = new Map(events.map((event) => [event.eventId, JSON.stringify(event)]));
    const store = new DynamoOutboxStore(documents, tableName);
    const producer = new KafkaEventProducer(kafkaSettings(3, 5_000));
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 });
    try {
      const rows = await store.findUnpublished(everything(), 1000);

      // Act
      const outcome = await publisher.publish(rows);

      // Assess
      expect(idsOf(rows)).toEqual(idsOf(events));
      expect(outcome).toEqual({ published: 20, quarantined: 0 });
      const messages = await readKafka(keysOf(sagas), received(idsOf(events)), '20 outbox events on Kafka');
      expect(messages).toHaveLength(20);
      for (const message of messages) {
        const parsed = parseEvent(message.value);
        if (!parsed.ok) throw parsed.error;
        const { event } = parsed;
        expect(message.value).toBe(written.get(event.eventId));
        expect(message.key).toBe(event.aggregateId);
        expect(message.topic).toBe(topicFor(event.eventType));
        expect(message.headers).toMatchObject({
          eventId: event.eventId,
          eventType: event.eventType,
          correlationId: event.correlationId,
        });
      }
      expectEventIdOrderPerKey(messages, events);
      expectAllPublished(await scanOutbox(tableName), idsOf(events));
      expect(await store.findUnpublished(everything(), 1000)).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  });

  it('stops at a chunk whose acknowledgement is lost and republishes from there without losing an event', async () => {
    // Prepare
    const tableName = await createOutboxTable('half-way');
    const sagas = Array.from({ length: 3 }, () => ({
      orderId: newOrderId(),
      steps: PAYMENT_FAILED_ORDER_SERVICE,
    }));
    const events = await writeSagas(tableName, sagas);
    const store = new DynamoOutboxStore(documents, tableName);
    const producer = new KafkaEventProducer(kafkaSettings(3, 5_000));
    const publisher = new OutboxPublisher(new LosesOneAcknowledgement(producer, 2), store, { chunkSize: 3 });
    try {
      const rows = await store.findUnpublished(everything(), 1000);

      // Act
      const first = await publisher.publish(rows);
      const storedAfterFailure = await scanOutbox(tableName);
      const remaining = await store.findUnpublished(everything(), 1000);
      const second = await publisher.publish(remaining);

      // Assess
      expect(idsOf(rows)).toEqual(idsOf(events));
      expect(first).toMatchObject({ published: 3, failedAt: 3 });
      expect(first.error).toBeInstanceOf(PublishError);
      const marked = storedAfterFailure.filter((row) => row.publishedAt !== undefined);
      expect(idsOf(marked).sort()).toEqual(idsOf(events.slice(0, 3)));
      expect(idsOf(remaining)).toEqual(idsOf(events.slice(3)));
      expect(second).toEqual({ published: 6, quarantined: 0 });
      const lostAcknowledgement = idsOf(events.slice(3, 6));
      const messages = await readKafka(
        keysOf(sagas),
        (seen) => received(idsOf(events))(seen) && received(lostAcknowledgement, 2)(seen),
        'all 9 outbox events on Kafka, the unacknowledged chunk twice',
      );
      expect(new Set(messages.map((message) => message.headers.eventId))).toEqual(new Set(idsOf(events)));
      expectEventIdOrderPerKey(messages, events);
      expectAllPublished(await scanOutbox(tableName), idsOf(events));
      expect(await store.findUnpublished(everything(), 1000)).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  });

  it('completes a publish started while every broker is down once they are back within the retries', async () => {
    // Prepare
    const { mock: cluster } = engines();
    const tableName = await createOutboxTable('outage');
    const store = new DynamoOutboxStore(documents, tableName);
    const producer = new KafkaEventProducer(kafkaSettings(10, 5_000));
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 5 });
    try {
      // A warm container: connected, with the cluster's metadata, before the outage starts.
      const warmUp = [{ orderId: newOrderId(), steps: ['OrderCreated'] as const }];
      const warmUpEvents = await writeSagas(tableName, warmUp);
      expect(await publisher.publish(await store.findUnpublished(everything(), 1000))).toEqual({
        published: 1,
        quarantined: 0,
      });
      const sagas = [
        { orderId: newOrderId(), steps: NOTIFIED_ORDER },
        { orderId: newOrderId(), steps: NOTIFIED_ORDER },
      ];
      const events = await writeSagas(tableName, sagas);
      const rows = await store.findUnpublished(everything(), 1000);

      // Act
      let settledDuringOutage = true;
      let publishing: Promise<PublishOutcome> | undefined;
      await cluster.allBrokersDown();
      try {
        const state = { settled: false };
        publishing = publisher.publish(rows).finally(() => {
          state.settled = true;
        });
        await sleep(OUTAGE_MS);
        settledDuringOutage = state.settled;
      } finally {
        await cluster.allBrokersUp();
      }
      const outcome = await publishing;

      // Assess
      expect(idsOf(rows)).toEqual(idsOf(events));
      expect(settledDuringOutage).toBe(false);
      expect(outcome).toEqual({ published: 10, quarantined: 0 });
      const messages = await readKafka(keysOf(sagas), received(idsOf(events)), '10 outbox events on Kafka');
      expect(new Set(messages.map((message) => message.headers.eventId))).toEqual(new Set(idsOf(events)));
      // Each event on its own topic: the sagas' events span every topic they have events on.
      expect(new Set(messages.map((message) => message.topic))).toEqual(
        new Set(events.map((event) => topicFor(event.eventType))),
      );
      expect(new Set(events.map((event) => topicFor(event.eventType))).size).toBeGreaterThan(1);
      expectEventIdOrderPerKey(messages, events);
      expectAllPublished(await scanOutbox(tableName), idsOf([...warmUpEvents, ...events]));
    } finally {
      await producer.disconnect();
    }
  });

  it('leaves every row unpublished when Kafka stays down past the retries, and the sweeper publishes them all later', async () => {
    // Prepare
    const { mock: cluster } = engines();
    const tableName = await createOutboxTable('sweep');
    const sagas = [
      { orderId: newOrderId(), steps: CANCELLED_ORDER },
      { orderId: newOrderId(), steps: CONFIRMED_ORDER },
    ];
    // Written ten minutes ago, so they are past the sweeper's grace period.
    const writtenAt = Date.now() - 10 * 60_000;
    const events = await writeSagas(tableName, sagas, { occurredAt: (index) => new Date(writtenAt + index) });
    const store = new DynamoOutboxStore(documents, tableName);
    const relayProducer = new KafkaEventProducer(kafkaSettings(1, 2_000));
    const sweeperProducer = new KafkaEventProducer(kafkaSettings(6, 5_000));
    const relay = new OutboxPublisher(relayProducer, store, { chunkSize: 100 });
    const sweeper = new OutboxPublisher(sweeperProducer, store, { chunkSize: 100 });
    try {
      const rows = await store.findUnpublished(everything(), 1000);

      // Act
      let failed: PublishOutcome | undefined;
      let storedDuringOutage: OutboxRow[] = [];
      await cluster.allBrokersDown();
      try {
        failed = await relay.publish(rows);
        storedDuringOutage = await scanOutbox(tableName);
      } finally {
        await cluster.allBrokersUp();
      }
      const stale = await store.findUnpublished(new Date(Date.now() - SWEEPER_GRACE_MS), 500);
      const swept = await sweeper.publish(stale);

      // Assess
      expect(failed).toMatchObject({ published: 0, failedAt: 0 });
      expect(failed?.error).toBeInstanceOf(PublishError);
      expect(storedDuringOutage).toHaveLength(events.length);
      for (const row of storedDuringOutage) {
        expect(row.publishedAt, `publishedAt of ${row.eventId}`).toBeUndefined();
        expect(row.unpublishedShard, `unpublishedShard of ${row.eventId}`).toEqual(expect.any(String));
      }
      expect(idsOf(stale)).toEqual(idsOf(events));
      expect(swept).toEqual({ published: events.length, quarantined: 0 });
      const messages = await readKafka(
        keysOf(sagas),
        received(idsOf(events)),
        'swept outbox events on Kafka',
      );
      expect(new Set(messages.map((message) => message.headers.eventId))).toEqual(new Set(idsOf(events)));
      expectEventIdOrderPerKey(messages, events);
      expectAllPublished(await scanOutbox(tableName), idsOf(events));
      expect(await store.findUnpublished(everything(), 1000)).toEqual([]);
    } finally {
      await relayProducer.disconnect();
      await sweeperProducer.disconnect();
    }
  });

  it('quarantines rows that can never be published and publishes the rows around them', async () => {
    // Prepare
    const tableName = await createOutboxTable('poison');
    const sagas = [{ orderId: newOrderId(), steps: CONFIRMED_ORDER }];
    const poisonOrder = newOrderId();
    const poison = (suffix: string, fields: Partial<OutboxRow>) =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...rawOutboxRow({
              aggregateId: poisonOrder,
              rowId: `01JN8S7QG0POISON0000000${suffix}`,
              eventId: `01JN8S7QG0POISON0000000${suffix}`,
              eventType: 'OrderCreated',
              topic: 'orders.events',
              messageKey: poisonOrder,
              event: '{}',
              createdAt: new Date(Date.now() - 60_000).toISOString(),
            }),
            ...fields,
          },
        }),
      );
    await poison('001', { event: 'not json at all' });
    await poison('002', { topic: 'no-such.events' });
    const events = await writeSagas(tableName, sagas);
    const store = new DynamoOutboxStore(documents, tableName);
    const producer = new KafkaEventProducer(kafkaSettings(3, 5_000));
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 });
    try {
      const rows = await store.findUnpublished(everything(), 1000);

      // Act
      const outcome = await publisher.publish(rows);

      // Assess
      expect(outcome).toEqual({ published: events.length, quarantined: 2 });
      const messages = await readKafka(keysOf(sagas), received(idsOf(events)), 'the valid events on Kafka');
      expect(new Set(messages.map((message) => message.headers.eventId))).toEqual(new Set(idsOf(events)));
      const stored = await scanOutbox(tableName);
      const quarantined = stored.filter((row) => row.aggregateId === poisonOrder);
      expect(quarantined.map((row) => [row.quarantineReason, row.unpublishedShard])).toEqual([
        ['EVENT_NOT_JSON', undefined],
        ['UNKNOWN_TOPIC', undefined],
      ]);
      expectAllPublished(
        stored.filter((row) => row.aggregateId !== poisonOrder),
        idsOf(events),
      );
      expect(await store.findUnpublished(everything(), 1000)).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  });

  it('relays the outbox inserts of the table stream to Kafka in order through the relay handler', async () => {
    // Prepare
    const { ddb: dynamoLocal, mock: cluster } = engines();
    const tableName = await createOutboxTable('relay');
    const sagas = [
      { orderId: newOrderId(), steps: PAYMENT_FAILED_ORDER_SERVICE },
      { orderId: newOrderId(), steps: CONFIRMED_ORDER_SERVICE },
      { orderId: newOrderId(), steps: PAYMENT_FAILED_ORDER_SERVICE },
    ];
    // The order item changes in the same transaction as each outbox row, as in the order service.
    const orderItem = (event: DomainEvent, step: SagaStep): TransactItem[] => {
      const key = { pk: `ORDER#${event.aggregateId}`, sk: 'ORDER' };
      if (step === 'OrderCreated') {
        return [
          {
            Put: {
              TableName: tableName,
              Item: { ...key, entity: 'ORDER', orderId: event.aggregateId, status: 'PENDING', version: 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ];
      }
      const status =
        step === 'OrderConfirmed' ? 'CONFIRMED' : step === 'OrderCancelled' ? 'CANCELLED' : undefined;
      if (!status) return [];
      return [
        {
          Update: {
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET #status = :status, version = version + :one',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':status': status, ':one': 1 },
          },
        },
      ];
    };
    const events = await writeSagas(tableName, sagas, { stateChange: orderItem });
    const { streamArn, records } = await waitFor(
      async () => {
        const stream = await readStream(tableName);
        const outboxInserts = stream.records.filter(
          (record) => record.eventName === 'INSERT' && record.dynamodb?.NewImage?.entity?.S === 'OUTBOX',
        );
        return outboxInserts.length === events.length ? stream : undefined;
      },
      { timeoutMs: 10_000, description: `${events.length} outbox inserts on the stream of ${tableName}` },
    );
    const inserts = records
      .filter((record) => record.eventName === 'INSERT')
      .map((record) => toLambdaRecord(record, streamArn));
    vi.stubEnv('OUTBOX_TABLE_NAME', tableName);
    vi.stubEnv('KAFKA_BOOTSTRAP_BROKERS', cluster.bootstrapServers);
    vi.stubEnv('KAFKA_AUTH', 'none');
    vi.stubEnv('KAFKA_IDEMPOTENT_PRODUCER', 'false');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamoLocal.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    vi.resetModules();
    // The relay's module graph, loaded fresh with the environment above.
    const relayKafka = await import('#platform/outbox/kafka-producer');
    const relayClients = await import('#platform/clients');
    const sends = vi.spyOn(relayKafka.KafkaEventProducer.prototype, 'send');
    try {
      const { handler } = await import('#platform/handlers/outbox-relay');

      // Act
      const response = await handler({ Records: inserts }, lambdaContext('outbox-relay'));

      // Assess
      const streamedOutbox = inserts.flatMap((record) => {
        const image = record.dynamodb?.NewImage;
        return image?.entity?.S === 'OUTBOX' && image.eventId?.S ? [image.eventId.S] : [];
      });
      expect(streamedOutbox).toEqual(idsOf(events));
      const orderInserts = inserts.filter((record) => record.dynamodb?.NewImage?.entity?.S === 'ORDER');
      expect(orderInserts).toHaveLength(sagas.length);
      expect(
        inserts.every((record) => typeof record.dynamodb?.ApproximateCreationDateTime === 'number'),
      ).toBe(true);
      expect(response).toEqual({ batchItemFailures: [] });
      const messages = await readKafka(
        keysOf(sagas),
        received(idsOf(events)),
        'relayed outbox events on Kafka',
      );
      expect(messages).toHaveLength(events.length);
      expectEventIdOrderPerKey(messages, events);
      expectAllPublished(await scanOutbox(tableName), idsOf(events));
    } finally {
      for (const producer of new Set(sends.mock.contexts as KafkaEventProducer[]))
        await producer.disconnect();
      sends.mockRestore();
      relayClients.dynamoDb.destroy();
      vi.unstubAllEnvs();
    }
  });
});
