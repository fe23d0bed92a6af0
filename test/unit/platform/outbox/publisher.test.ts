import '#test/unit/setup-env';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutboxPublisher, toMessage } from '#platform/outbox/publisher';
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
    expect(outcome).toEqual({ published: 3 });
    expect(producer.sentKeys()).toEqual([ids(0, 3)]);
    expect(producer.sends[0]?.map((message) => message.value)).toEqual(batch.map((row) => row.event));
    expect(store.marked).toEqual([{ eventIds: ids(0, 3), now: NOW }]);
  });

  it('publishes in chunks of the configured size, one chunk at a time', async () => {
    // Prepare
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish(rows(5));

    // Assess
    expect(outcome).toEqual({ published: 5 });
    expect(producer.sentKeys()).toEqual([ids(0, 2), ids(2, 4), ids(4, 5)]);
    expect(store.marked.map((mark) => mark.eventIds)).toEqual([ids(0, 2), ids(2, 4), ids(4, 5)]);
  });

  it('does nothing for an empty batch', async () => {
    // Prepare
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 2 }, () => NOW);

    // Act
    const outcome = await publisher.publish([]);

    // Assess
    expect(outcome).toEqual({ published: 0 });
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
    expect(outcome).toEqual({ published: 2, failedAt: 2, error: failure });
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
    expect(outcome).toEqual({ published: 4 });
    expect(producer.sentKeys()).toEqual([ids(0, 2), ids(2, 4)]);
  });

  it('stops at a row whose stored event is not JSON and reports it as the failure', async () => {
    // Prepare
    const batch = rows(3).with(1, { ...outboxRowFor(1), event: '{not json' });
    const publisher = new OutboxPublisher(producer, store, { chunkSize: 1 }, () => NOW);

    // Act
    const outcome = await publisher.publish(batch);

    // Assess
    expect(outcome).toMatchObject({ published: 1, failedAt: 1 });
    expect(outcome.error).toBeInstanceOf(SyntaxError);
    expect(producer.sentKeys()).toEqual([ids(0, 1)]);
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
