import '#test/unit/setup-env';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutboundMessage, SendOptions } from '#platform/outbox/producer';
import { PublishDeadlineError } from '#platform/outbox/producer';
import { type OutboxEntry, rawOutboxRow } from '#platform/outbox/row';
import { lambdaContext, outboxStreamEvent } from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const kafka = vi.hoisted(() => ({
  sends: [] as OutboundMessage[][],
  send: vi.fn(async (_messages: readonly OutboundMessage[], _options?: SendOptions): Promise<void> => {}),
  /** The parsed environments the relay built its Kafka settings from, one per module load. */
  settingsFrom: [] as unknown[],
}));

vi.mock('#platform/outbox/kafka-producer', () => ({
  kafkaSettingsOf: (env: unknown) => {
    kafka.settingsFrom.push(env);
    return { bootstrapBrokers: 'localhost:9092' };
  },
  KafkaEventProducer: class {
    async send(messages: readonly OutboundMessage[], options?: SendOptions) {
      kafka.sends.push([...messages]);
      return kafka.send(messages, options);
    }
    async disconnect() {}
  },
}));

const ddb = mockClient(DynamoDBDocumentClient);

/** The relay handler, loaded afresh so OUTBOX_CHUNK_SIZE is read at module load as in Lambda. */
async function loadRelay(chunkSize?: number, remainingMs = 10_000) {
  vi.resetModules();
  if (chunkSize !== undefined) vi.stubEnv('OUTBOX_CHUNK_SIZE', String(chunkSize));
  const { handler } = await import('#platform/handlers/outbox-relay');
  return (event: DynamoDBStreamEvent) =>
    handler(event, lambdaContext({ getRemainingTimeInMillis: () => remainingMs }));
}

function recordAt(event: DynamoDBStreamEvent, index: number): DynamoDBRecord {
  const record = event.Records[index];
  if (!record) throw new Error(`The fixture has no record ${index}`);
  return record;
}

const sequenceNumberOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber;
const stringAttribute = (record: DynamoDBRecord, name: string) => record.dynamodb?.NewImage?.[name]?.S;

/** A stream record of the same table for another item, e.g. the order written with the outbox row. */
function recordOf(
  eventName: DynamoDBRecord['eventName'],
  item: Record<string, unknown>,
  sequenceNumber: string,
): DynamoDBRecord {
  const record = structuredClone(recordAt(outboxStreamEvent(), 0));
  record.eventName = eventName;
  record.dynamodb = {
    ...record.dynamodb,
    Keys: marshall({ pk: item.pk, sk: item.sk }) as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
    NewImage: marshall(item) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
    SequenceNumber: sequenceNumber,
  };
  return record;
}

/** The fixture's rows were created from 12:00:00.000 to 12:00:01.000 on 2025-03-01. */
const FIXTURE_CREATED_AT = Date.parse('2025-03-01T12:00:00.000Z');

/** Sets the clock so that the fixture's first row is `seconds` old (the grace period is 120 s). */
function whenFirstRowIs(seconds: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(FIXTURE_CREATED_AT + seconds * 1000);
}

/** An event as it rides on a state item: one entry of the item's outbox attribute. */
function entry(index: number, overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  const eventId = `01JN8S7QG0${String(index).padStart(16, '0')}`;
  const aggregateId = '01JN8S7QG0CCCCCCCCCCCCCCCC';
  return {
    aggregateId,
    eventId,
    eventType: 'OrderConfirmed',
    topic: 'orders.events',
    messageKey: aggregateId,
    event: JSON.stringify({ eventId, eventType: 'OrderConfirmed', eventVersion: 1, payload: {} }),
    createdAt: new Date(FIXTURE_CREATED_AT + index).toISOString(),
    ...overrides,
  };
}

/** A stream record (new and old images) of the order item, written with the events of `after`. */
function itemRecord(
  eventName: 'INSERT' | 'MODIFY',
  after: OutboxEntry[] | undefined,
  before: OutboxEntry[] | undefined,
  sequenceNumber: string,
): DynamoDBRecord {
  const order = { pk: 'ORDER#01JN8S7QG0CCCCCCCCCCCCCCCC', sk: 'ORDER', entity: 'ORDER' };
  const record = recordOf(eventName, { ...order, ...(after ? { outbox: after } : {}) }, sequenceNumber);
  if (eventName === 'MODIFY' && record.dynamodb) {
    record.dynamodb.OldImage = marshall({ ...order, ...(before ? { outbox: before } : {}) }) as NonNullable<
      DynamoDBRecord['dynamodb']
    >['OldImage'];
  }
  return record;
}

describe('Handler: outbox relay', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(UpdateCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    kafka.sends.length = 0;
    kafka.settingsFrom.length = 0;
    kafka.send.mockReset().mockResolvedValue(undefined);
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('publishes the outbox INSERTs of a batch in stream order and reports no failures', async () => {
    // Prepare
    const relay = await loadRelay();
    const event = outboxStreamEvent();

    // Act
    const result = await relay(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends).toHaveLength(1);
    expect(kafka.sends[0]?.map((message) => [message.topic, message.key, message.headers.eventType])).toEqual(
      [
        ['orders.events', '01JN8S7QG0AAAAAAAAAAAAAAAA', 'OrderCreated'],
        ['orders.events', '01JN8S7QG0AAAAAAAAAAAAAAAA', 'OrderCancelled'],
        ['orders.events', '01JN8S7QG0BBBBBBBBBBBBBBBB', 'OrderCreated'],
      ],
    );
    expect(kafka.sends[0]?.map((message) => message.value)).toEqual(
      event.Records.map((record) => stringAttribute(record, 'event')),
    );
  });

  it('connects to Kafka with the settings of its parsed environment, read once at module load', async () => {
    // Prepare
    const relay = await loadRelay(25);

    // Act
    await relay(outboxStreamEvent());
    await relay(outboxStreamEvent());

    // Assess
    expect(kafka.settingsFrom).toEqual([
      expect.objectContaining({
        OUTBOX_TABLE_NAME: TEST_ENV.outboxTable,
        OUTBOX_CHUNK_SIZE: 25,
        KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092',
        KAFKA_AUTH: 'none',
        KAFKA_IDEMPOTENT_PRODUCER: false,
        KAFKA_CLIENT_ID: 'order-saga',
      }),
    ]);
  });

  it('carries eventId, correlationId and the X-Ray trace header of the envelope as Kafka headers', async () => {
    // Prepare
    const relay = await loadRelay();

    // Act
    await relay(outboxStreamEvent());

    // Assess
    const [created, cancelled] = kafka.sends[0] ?? [];
    expect(created?.headers).toEqual({
      eventId: '01JN8S7QG07VXVQKXB80JART8R',
      eventType: 'OrderCreated',
      eventVersion: '1',
      correlationId: '01JN8S7QG07VXVQKXB80JART8R',
      'X-Amzn-Trace-Id': 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1',
    });
    expect(cancelled?.headers).toMatchObject({
      eventId: '01JN8S7QZM0000000000000001',
      correlationId: '01JN8S7QG07VXVQKXB80JART8R',
      causationId: '01JN8S7QG07VXVQKXB80JART8R',
    });
    expect(cancelled?.headers).not.toHaveProperty('X-Amzn-Trace-Id');
  });

  it('marks each published row with a conditional update that takes it out of the unpublished index', async () => {
    // Prepare
    const relay = await loadRelay();
    const event = outboxStreamEvent();

    // Act
    await relay(event);

    // Assess
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates).toHaveLength(3);
    expect(updates.map((input) => input.Key)).toEqual(
      event.Records.map((record) => ({
        pk: stringAttribute(record, 'pk'),
        sk: stringAttribute(record, 'sk'),
      })),
    );
    for (const input of updates) {
      expect(input.TableName).toBe(TEST_ENV.outboxTable);
      expect(input.ConditionExpression).toBe('attribute_exists(pk)');
      expect(input.UpdateExpression).toContain('REMOVE unpublishedShard');
      expect(input.UpdateExpression).toContain('publishedAt = if_not_exists(publishedAt, :now)');
    }
  });

  it('reports the SequenceNumber of the first record when Kafka does not acknowledge a row younger than the grace period, and writes nothing', async () => {
    // Prepare
    whenFirstRowIs(5);
    kafka.send.mockRejectedValue(new Error('broker unavailable'));
    const relay = await loadRelay();
    const event = outboxStreamEvent();

    // Act
    const result = await relay(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(recordAt(event, 0)) }] });
    expect(result.batchItemFailures[0]?.itemIdentifier).toBe('111000000000000000000001');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('leaves inserted rows older than the grace period to the sweeper when Kafka does not acknowledge them', async () => {
    // Prepare
    whenFirstRowIs(121);
    kafka.send.mockRejectedValue(new Error('broker unavailable'));
    const relay = await loadRelay();

    // Act
    const result = await relay(outboxStreamEvent());

    // Assess: the rows are in the unpublished index already; nothing to write, nothing to retry
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('publishes the events a state item gained, in stream order, and writes nothing', async () => {
    // Prepare
    const relay = await loadRelay();
    const created = itemRecord('INSERT', [entry(1)], undefined, '111000000000000000000021');
    const transition = itemRecord('MODIFY', [entry(2), entry(3)], [entry(1)], '111000000000000000000022');
    const untouched = itemRecord(
      'MODIFY',
      [entry(2), entry(3)],
      [entry(2), entry(3)],
      '111000000000000000000023',
    );
    const cleared = itemRecord('MODIFY', undefined, [entry(2), entry(3)], '111000000000000000000024');

    // Act
    const result = await relay({ Records: [created, transition, untouched, cleared] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends).toHaveLength(1);
    expect(kafka.sends[0]?.map((message) => message.headers.eventId)).toEqual([
      entry(1).eventId,
      entry(2).eventId,
      entry(3).eventId,
    ]);
    expect(kafka.sends[0]?.[0]).toMatchObject({
      topic: 'orders.events',
      key: entry(1).messageKey,
      value: entry(1).event,
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('leaves a row it wrote for the sweeper to the sweeper when the stream offers it', async () => {
    // Prepare
    const relay = await loadRelay();
    const spilled = recordOf(
      'INSERT',
      { ...rawOutboxRow(entry(2)), spilledAt: '2025-03-01T12:02:00.000Z' },
      '111000000000000000000030',
    );

    // Act
    const result = await relay({ Records: [spilled] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends).toEqual([]);
  });

  it('fails the batch, so the stream keeps it, when an event that can never be published cannot be kept as a row', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const relay = await loadRelay();
    const record = itemRecord(
      'MODIFY',
      [entry(2, { topic: 'audit.events' })],
      [entry(1)],
      '111000000000000000000022',
    );

    // Act
    const run = relay({ Records: [record] });

    // Assess
    await expect(run).rejects.toMatchObject({ code: 'QUARANTINE_FAILED', retryable: true });
  });

  it('retries the events of a state item from the stream while they are younger than the grace period', async () => {
    // Prepare
    whenFirstRowIs(5);
    kafka.send.mockRejectedValue(new Error('broker unavailable'));
    const relay = await loadRelay();
    const record = itemRecord('MODIFY', [entry(2)], [entry(1)], '111000000000000000000022');

    // Act
    const result = await relay({ Records: [record] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '111000000000000000000022' }] });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('hands the events of state items older than the grace period to the sweeper as unpublished outbox rows', async () => {
    // Prepare
    whenFirstRowIs(121);
    kafka.send.mockResolvedValueOnce(undefined).mockRejectedValue(new Error('broker unavailable'));
    const relay = await loadRelay(1);
    const records = [
      itemRecord('INSERT', [entry(1)], undefined, '111000000000000000000021'),
      itemRecord('MODIFY', [entry(2), entry(3)], [entry(1)], '111000000000000000000022'),
    ];

    // Act
    const result = await relay({ Records: records });

    // Assess: entry 1 went out; entries 2 and 3 become rows of the unpublished index, exactly once
    expect(result).toEqual({ batchItemFailures: [] });
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual(
      [entry(2), entry(3)].map((spilled) => ({
        TableName: TEST_ENV.ordersTable,
        Item: { ...rawOutboxRow(spilled), spilledAt: new Date(FIXTURE_CREATED_AT + 121_000).toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      })),
    );
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('retries from the stream when the events cannot be handed to the sweeper', async () => {
    // Prepare
    whenFirstRowIs(121);
    kafka.send.mockRejectedValue(new Error('broker unavailable'));
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const relay = await loadRelay();
    const record = itemRecord('MODIFY', [entry(2)], [entry(1)], '111000000000000000000022');

    // Act
    const result = await relay({ Records: [record] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '111000000000000000000022' }] });
  });

  it('keeps an event of a state item that can never be published as a quarantined row, outside the unpublished index', async () => {
    // Prepare
    const relay = await loadRelay();
    const poison = entry(2, { topic: 'audit.events' });
    const record = itemRecord('MODIFY', [poison, entry(3)], [entry(1)], '111000000000000000000022');

    // Act
    const result = await relay({ Records: [record] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends.flat().map((message) => message.headers.eventId)).toEqual([entry(3).eventId]);
    const [put, ...more] = ddb.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(more).toEqual([]);
    expect(put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put?.Item).toMatchObject({
      pk: `OUTBOX#${poison.aggregateId}`,
      sk: poison.eventId,
      entity: 'OUTBOX',
      topic: 'audit.events',
      quarantineReason: 'UNKNOWN_TOPIC',
    });
    expect(put?.Item).not.toHaveProperty('unpublishedShard');
    expect(put?.Item).not.toHaveProperty('embedded');
  });

  it('Given chunks of one, When the second send fails, Then it reports the second record and marks only the first', async () => {
    // Prepare
    whenFirstRowIs(5);
    kafka.send.mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('NOT_ENOUGH_REPLICAS'));
    const relay = await loadRelay(1);
    const event = outboxStreamEvent();

    // Act
    const result = await relay(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(recordAt(event, 1)) }] });
    expect(kafka.sends).toHaveLength(2);
    expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.sk)).toEqual([
      stringAttribute(recordAt(event, 0), 'sk'),
    ]);
  });

  it('still reports success when a published row cannot be marked', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const relay = await loadRelay();

    // Act
    const result = await relay(outboxStreamEvent());

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends).toHaveLength(1);
  });

  it('ignores records that are not outbox INSERTs', async () => {
    // Prepare
    const fixture = outboxStreamEvent();
    const outboxInsert = recordAt(fixture, 2);
    const publishedMark = { ...recordAt(fixture, 0), eventName: 'MODIFY' as const };
    const expiry = { ...recordAt(fixture, 1), eventName: 'REMOVE' as const };
    const orderInsert = recordOf(
      'INSERT',
      { pk: 'ORDER#01JN8S7QG0BBBBBBBBBBBBBBBB', sk: 'ORDER', entity: 'ORDER', status: 'PENDING' },
      '111000000000000000000010',
    );
    const idempotencyInsert = recordOf(
      'INSERT',
      { pk: 'IDEMPOTENCY#key-1', sk: 'IDEMPOTENCY', entity: 'IDEMPOTENCY', requestHash: 'abc' },
      '111000000000000000000011',
    );
    const event = { Records: [publishedMark, orderInsert, expiry, idempotencyInsert, outboxInsert] };
    const relay = await loadRelay();

    // Act
    const result = await relay(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends).toEqual([
      [expect.objectContaining({ value: stringAttribute(outboxInsert, 'event') })],
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('reports the first outbox record, not an ignored one before it, when publishing fails', async () => {
    // Prepare
    whenFirstRowIs(5);
    kafka.send.mockRejectedValue(new Error('broker unavailable'));
    const fixture = outboxStreamEvent();
    const orderInsert = recordOf(
      'INSERT',
      { pk: 'ORDER#01JN8S7QG0AAAAAAAAAAAAAAAA', sk: 'ORDER', entity: 'ORDER' },
      '111000000000000000000000',
    );
    const relay = await loadRelay();

    // Act
    const result = await relay({ Records: [orderInsert, ...fixture.Records] });

    // Assess
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: sequenceNumberOf(recordAt(fixture, 0)) }],
    });
  });

  it('sends nothing for a batch without outbox INSERTs', async () => {
    // Prepare
    const relay = await loadRelay();
    const event = { Records: [{ ...recordAt(outboxStreamEvent(), 0), eventName: 'MODIFY' as const }] };

    // Act
    const result = await relay(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('quarantines an outbox row without a topic and publishes the others', async () => {
    // Prepare
    const fixture = outboxStreamEvent();
    const malformed = structuredClone(recordAt(fixture, 0));
    delete malformed.dynamodb?.NewImage?.topic;
    const relay = await loadRelay();

    // Act
    const result = await relay({ Records: [malformed, recordAt(fixture, 1), recordAt(fixture, 2)] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends[0]?.map((message) => message.headers.eventId)).toEqual([
      stringAttribute(recordAt(fixture, 1), 'eventId'),
      stringAttribute(recordAt(fixture, 2), 'eventId'),
    ]);
    const quarantine = ddb
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Key?.sk === stringAttribute(malformed, 'sk'));
    expect(quarantine).toMatchObject({
      UpdateExpression: 'SET quarantinedAt = :now, quarantineReason = :reason REMOVE unpublishedShard',
      ExpressionAttributeValues: { ':reason': 'MISSING_TOPIC' },
    });
  });

  it('quarantines an outbox row whose event is not JSON instead of retrying the batch from it', async () => {
    // Prepare
    const fixture = outboxStreamEvent();
    const poison = structuredClone(recordAt(fixture, 0));
    const image = poison.dynamodb?.NewImage;
    if (image) image.event = { S: 'this is not an event' };
    const relay = await loadRelay();

    // Act
    const result = await relay({ Records: [poison, recordAt(fixture, 1), recordAt(fixture, 2)] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(kafka.sends.flat().map((message) => message.headers.eventId)).toEqual([
      stringAttribute(recordAt(fixture, 1), 'eventId'),
      stringAttribute(recordAt(fixture, 2), 'eventId'),
    ]);
    expect(
      ddb
        .commandCalls(UpdateCommand)
        .map((call) => call.args[0].input.ExpressionAttributeValues?.[':reason'])
        .filter(Boolean),
    ).toEqual(['EVENT_NOT_JSON']);
  });

  it('gives its sends the invocation deadline and reports the first row when Kafka does not answer in time', async () => {
    // Prepare
    whenFirstRowIs(5);
    kafka.send.mockRejectedValue(new PublishDeadlineError('no answer from Kafka within the time budget'));
    const relay = await loadRelay(undefined, 20_000);
    const event = outboxStreamEvent();
    const before = Date.now();

    // Act
    const result = await relay(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(recordAt(event, 0)) }] });
    const deadline = kafka.send.mock.calls[0]?.[1]?.deadline ?? 0;
    expect(deadline).toBeGreaterThanOrEqual(before + 18_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 18_000);
  });
});
