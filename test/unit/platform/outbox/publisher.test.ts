import '#test/unit/setup-env';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageRejectedError, PublishDeadlineError, PublishError } from '#platform/outbox/producer';
import { deadlineFor, defectOf, OutboxPublisher, toMessage } from '#platform/outbox/publisher';
import type { StoredOutboxRow } from '#platform/outbox/row';
import { logger, tracer } from '#platform/powertools';
import { FakeProducer, FakeStore, outboxRowFor } from '#test/unit/helpers/outbox';

const NOW = new Date('2025-03-01T12:00:05.000Z');
const rows = (count: number) => Array.from({ length: count }, (_, index) => outboxRowFor(index));
const ids = (from: number, to: number) =>
  rows(to)
    .slice(from)
    .map((row) => row.eventId);

describe('Class: OutboxPublisher', () => {
  let producer: FakeProducer;
  let store: FakeStore;

  beforeEach(() => {
    producer = new FakeProducer();
    store = new FakeStore();
  });

  it('publishes the rows in order and marks them published', async () => {
    // Prepare
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);
    const batch = rows(3);

    // Act
    const outcome = await publisher.publish(batch);

    // Assess
    expect(outcome).toEqual({ published: 3, quarantined: 0 });
    expect(producer.sentKeys()).toEqual([ids(0, 3)]);
    expect(producer.sends[0]?.map((message) => message.value)).toEqual(batch.map((row) => row.event));
    expect(store.marked).toEqual([{ eventIds: ids(0, 3), now: NOW }]);
  });

  describe('per published row', () => {
    const level = logger.getLevelName();
    afterEach(() => {
      logger.setLogLevel(level);
      vi.restoreAllMocks();
    });

    it('writes a log line with the correlationId, orderId and eventId of each row, and none after', async () => {
      // Prepare
      const lines: Record<string, unknown>[] = [];
      vi.spyOn(console, 'info').mockImplementation((line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      });
      logger.setLogLevel('INFO');
      const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);
      const batch = [
        outboxRowFor(0, { correlationId: 'saga-a' }, 'order-a'),
        outboxRowFor(1, { correlationId: 'saga-b' }, 'order-b'),
      ];

      // Act
      await publisher.publish(batch);
      logger.info('after the batch');

      // Assess
      expect(lines.filter((line) => line.message === 'event published')).toEqual([
        expect.objectContaining({ correlationId: 'saga-a', orderId: 'order-a', eventId: batch[0]?.eventId }),
        expect.objectContaining({ correlationId: 'saga-b', orderId: 'order-b', eventId: batch[1]?.eventId }),
      ]);
      expect(lines.find((line) => line.message === 'after the batch')).not.toHaveProperty('correlationId');
    });

    it('annotates the trace with the orderId, correlationId and eventType of each row', async () => {
      // Prepare
      const annotate = vi.spyOn(tracer, 'putAnnotation');
      const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);

      // Act
      await publisher.publish([outboxRowFor(0, { correlationId: 'saga-a' }, 'order-a')]);

      // Assess
      expect(annotate.mock.calls).toEqual([
        ['orderId', 'order-a'],
        ['eventType', 'OrderCreated'],
        ['correlationId', 'saga-a'],
      ]);
    });
  });

  it('publishes in chunks of the configured size, one chunk at a time', async () => {
    // Prepare
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(5));

    // Assess
    expect(outcome).toEqual({ published: 5, quarantined: 0 });
    expect(producer.sentKeys()).toEqual([ids(0, 2), ids(2, 4), ids(4, 5)]);
    expect(store.marked.map((mark) => mark.eventIds)).toEqual([ids(0, 2), ids(2, 4), ids(4, 5)]);
  });

  it('does nothing for an empty batch', async () => {
    // Prepare
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish([]);

    // Assess
    expect(outcome).toEqual({ published: 0, quarantined: 0 });
    expect(producer.sends).toHaveLength(0);
    expect(store.marked).toHaveLength(0);
  });

  it('Given chunk 2 of 3 fails, Then it reports the start of chunk 2, marks only chunk 1 and never sends chunk 3', async () => {
    // Prepare
    const failure = new Error('NOT_ENOUGH_REPLICAS');
    producer.failOnSend(1, failure);
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(6));

    // Assess
    expect(outcome).toEqual({ published: 2, quarantined: 0, failedAt: 2, error: failure });
    expect(producer.sentKeys()).toEqual([ids(0, 2), ids(2, 4)]);
    expect(store.marked.map((mark) => mark.eventIds)).toEqual([ids(0, 2)]);
  });

  it('reports failedAt 0 and marks nothing when the first chunk fails', async () => {
    // Prepare
    producer.failOnSend(0);
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 100 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(3));

    // Assess
    expect(outcome).toMatchObject({ published: 0, failedAt: 0 });
    expect(store.marked).toHaveLength(0);
  });

  it('does not fail the publish when rows cannot be marked published', async () => {
    // Prepare
    store.markFailure = new Error('ProvisionedThroughputExceededException');
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(4));

    // Assess
    expect(outcome).toEqual({ published: 4, quarantined: 0 });
    expect(producer.sentKeys()).toEqual([ids(0, 2), ids(2, 4)]);
  });

  it('quarantines a row whose stored event is not JSON and publishes the rows after it', async () => {
    // Prepare
    const batch = rows(3).with(1, { ...outboxRowFor(1), event: '{not json' });
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 1 }, () => NOW);

    // Act
    const outcome = await publisher.publish(batch);

    // Assess
    expect(outcome).toEqual({ published: 2, quarantined: 1 });
    expect(producer.sentKeys()).toEqual([[ids(0, 1)[0]], [ids(2, 3)[0]]]);
    expect(store.quarantined).toEqual([{ sk: outboxRowFor(1).sk, reason: 'EVENT_NOT_JSON' }]);
    expect(store.marked.map((mark) => mark.eventIds)).toEqual([ids(0, 1), ids(2, 3)]);
  });

  it.each([
    ['has no topic', { topic: undefined }, 'MISSING_TOPIC'],
    ['names a topic the platform does not have', { topic: 'audit.events' }, 'UNKNOWN_TOPIC'],
    ['has no message key', { messageKey: '' }, 'MISSING_KEY'],
    ['has no event id', { eventId: 42 }, 'MISSING_EVENT_ID'],
    ['has no event', { event: undefined }, 'MISSING_EVENT'],
    ['stores an event that is not an object', { event: '[1,2]' }, 'EVENT_NOT_AN_OBJECT'],
  ])('quarantines a row that %s and sends the others in one chunk', async (_, fields, reason) => {
    // Prepare
    const poison: StoredOutboxRow = { ...outboxRowFor(1), ...fields };
    const batch: StoredOutboxRow[] = [outboxRowFor(0), poison, outboxRowFor(2)];
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);

    // Act
    const outcome = await publisher.publish(batch);

    // Assess
    expect(outcome).toEqual({ published: 2, quarantined: 1 });
    expect(producer.sentKeys()).toEqual([[outboxRowFor(0).eventId, outboxRowFor(2).eventId]]);
    expect(store.quarantined).toEqual([{ sk: poison.sk, reason }]);
  });

  it('Given the bus rejects one message of a chunk as such, Then only that row is quarantined and the rest are published', async () => {
    // Prepare
    const rejected = outboxRowFor(2);
    producer.rejectEvent(
      rejected.eventId,
      new MessageRejectedError('KAFKA_MESSAGE_TOO_LARGE', 'Kafka rejected a message'),
    );
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(4));

    // Assess
    expect(outcome).toEqual({ published: 3, quarantined: 1 });
    expect(producer.sentKeys()).toEqual([ids(0, 4), ...ids(0, 4).map((id) => [id])]);
    expect(store.quarantined).toEqual([{ sk: rejected.sk, reason: 'KAFKA_MESSAGE_TOO_LARGE' }]);
    expect(store.marked.map((mark) => mark.eventIds)).toEqual([
      [ids(0, 4)[0]],
      [ids(0, 4)[1]],
      [ids(0, 4)[3]],
    ]);
  });

  it('Given a row sent alone fails for a retryable reason while isolating, Then it stops there', async () => {
    // Prepare
    producer
      .failOnSend(0, new MessageRejectedError('KAFKA_RECORD_LIST_TOO_LARGE', 'too large'))
      .failOnSend(2, new PublishError('broker unavailable'));
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(3));

    // Assess
    expect(outcome).toMatchObject({ published: 1, quarantined: 0, failedAt: 1 });
    expect(outcome.error).toBeInstanceOf(PublishError);
    expect(store.quarantined).toEqual([]);
  });

  it('still publishes the other rows when a quarantine cannot be recorded', async () => {
    // Prepare
    store.quarantineFailure = new Error('ProvisionedThroughputExceededException');
    const batch = rows(2).with(0, { ...outboxRowFor(0), topic: 'unknown.events' });
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 10 }, () => NOW);

    // Act
    const outcome = await publisher.publish(batch);

    // Assess
    expect(outcome).toEqual({ published: 1, quarantined: 1 });
    expect(producer.sentKeys()).toEqual([ids(1, 2)]);
  });

  it('passes its deadline to every send', async () => {
    // Prepare
    const deadline = Date.now() + 60_000;
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    await publisher.publish(rows(3), { deadline });

    // Assess
    expect(producer.options).toEqual([{ deadline }, { deadline }]);
  });

  it('starts no chunk once its deadline has passed and reports the first row not sent', async () => {
    // Prepare
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(3), { deadline: Date.now() - 1 });

    // Assess
    expect(outcome).toMatchObject({ published: 0, failedAt: 0 });
    expect(outcome.error).toBeInstanceOf(PublishDeadlineError);
    expect(producer.sends).toHaveLength(0);
  });
});

describe('Function: defectOf', () => {
  it('finds nothing wrong with a row written by outboxRow', () => {
    // Act
    const defect = defectOf(outboxRowFor(1));

    // Assess
    expect(defect).toBeUndefined();
  });

  it('names a row whose event is not JSON', () => {
    // Act
    const defect = defectOf({ ...outboxRowFor(1), event: 'plain text' });

    // Assess
    expect(defect).toBe('EVENT_NOT_JSON');
  });
});

describe('Function: deadlineFor', () => {
  it('keeps a tenth of the remaining time for reporting the outcome', () => {
    // Act
    const deadline = deadlineFor({ getRemainingTimeInMillis: () => 60_000 }, 1_000_000);

    // Assess
    expect(deadline).toBe(1_000_000 + 54_000);
  });

  it('keeps at least one second', () => {
    // Act
    const deadline = deadlineFor({ getRemainingTimeInMillis: () => 3_000 }, 1_000_000);

    // Assess
    expect(deadline).toBe(1_000_000 + 2_000);
  });
});

describe('Function: toMessage', () => {
  it('sends the stored event byte for byte to its topic, keyed by the aggregate', () => {
    // Prepare
    const row = outboxRowFor(7, {}, 'order-b');

    // Act
    const message = toMessage(row);

    // Assess
    expect(message).toMatchObject({ topic: 'orders.events', key: 'order-b', value: row.event });
  });

  it('carries eventId, eventType, eventVersion, correlation, causation and trace context as headers', () => {
    // Prepare
    const row = outboxRowFor(1, {
      correlationId: '01JN8S7QG07VXVQKXB80JART8R',
      causationId: '01JN8S7QG07VXVQKXB80JART8S',
      trace: {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        xrayTraceHeader: 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1',
      },
    });

    // Act
    const { headers } = toMessage(row);

    // Assess
    expect(headers).toEqual({
      eventId: row.eventId,
      eventType: 'OrderCreated',
      eventVersion: '1',
      correlationId: '01JN8S7QG07VXVQKXB80JART8R',
      causationId: '01JN8S7QG07VXVQKXB80JART8S',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'X-Amzn-Trace-Id': 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1',
    });
  });

  it('leaves out the headers the envelope does not have', () => {
    // Prepare
    const row = outboxRowFor(1, { correlationId: '01JN8S7QG07VXVQKXB80JART8R', causationId: null });

    // Act
    const { headers } = toMessage(row);

    // Assess
    expect(headers).toEqual({
      eventId: row.eventId,
      eventType: 'OrderCreated',
      eventVersion: '1',
      correlationId: '01JN8S7QG07VXVQKXB80JART8R',
    });
    expect(headers).not.toHaveProperty('X-Amzn-Trace-Id');
    expect(headers).not.toHaveProperty('causationId');
  });
});
