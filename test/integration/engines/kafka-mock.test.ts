import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, type KafkaConfig, logLevel, type Producer, type RetryOptions } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaMock, KafkaMockCommandError, type KafkaMockOptions } from '#localstack/engines/index';
import { probePort, processExists } from '#test/helpers/net';
import { waitFor } from '#test/helpers/wait';

/** Long enough for a 5 s outage: about 20 s of retries. */
const RETRY: RetryOptions = { retries: 20, initialRetryTime: 200, maxRetryTime: 1000 };
const OUTAGE_MS = 5000;

interface Received {
  key: string;
  value: string;
  partition: number;
}

describe('Class: KafkaMock', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    const failures: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup after a KafkaMock test failed');
  });

  const startMock = async (options: KafkaMockOptions): Promise<KafkaMock> => {
    const mock = await KafkaMock.start(options);
    cleanups.push(() => mock.stop());
    return mock;
  };

  const kafkaFor = (mock: KafkaMock, extra: Partial<KafkaConfig> = {}): Kafka =>
    new Kafka({
      clientId: 'engines-test',
      brokers: mock.brokers,
      logLevel: logLevel.NOTHING,
      retry: RETRY,
      ...extra,
    });

  const connectProducer = async (kafka: Kafka): Promise<Producer> => {
    const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, retry: RETRY });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    return producer;
  };

  /** Reads `topic` from the beginning with a fresh consumer group until `count` messages have arrived. */
  const consume = async (kafka: Kafka, topic: string, count: number): Promise<Received[]> => {
    const consumer = kafka.consumer({
      groupId: `engines-test-${topic}-${Date.now()}`,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10_000,
      // A long-polling fetch holds up disconnect; keep it short.
      maxWaitTimeInMs: 500,
      retry: RETRY,
    });
    const received: Received[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          received.push({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            partition,
          });
        },
      });
      await waitFor(() => received.length >= count, {
        timeoutMs: 30_000,
        intervalMs: 50,
        description: `${count} messages consumed from ${topic} (got ${received.length})`,
      });
    } finally {
      await consumer.disconnect();
    }
    return received;
  };

  const leaderOf = async (kafka: Kafka, topic: string, partition: number): Promise<number> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
      if (leader === undefined) throw new Error(`no leader reported for ${topic}[${partition}]`);
      return leader;
    } finally {
      await admin.disconnect();
    }
  };

  /** Starts a send and records whether it has settled, to tell that it was still in flight during an outage. */
  const sendInFlight = (producer: Producer, topic: string, key: string, value: string) => {
    const state = { settled: false };
    const result = producer.send({ topic, acks: -1, messages: [{ key, value }] }).finally(() => {
      state.settled = true;
    });
    // The outcome is asserted by the test; this keeps an early rejection from being reported as unhandled.
    result.catch(() => undefined);
    return { state, result };
  };

  it('creates the requested topics with their partition counts and reports brokers 1..n', async () => {
    // Prepare
    const mock = await startMock({ brokers: 3, topics: [{ name: 'orders', partitions: 3 }] });
    const admin = kafkaFor(mock).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());

    // Act
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });

    // Assess
    expect(mock.brokerIds).toEqual([1, 2, 3]);
    expect(mock.brokers).toHaveLength(3);
    expect(mock.bootstrapServers).toBe(mock.brokers.join(','));
    expect(topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(topics[0]?.partitions.every((p) => p.replicas.length === 3)).toBe(true);
  });

  it('delivers 100 keyed messages to a consumer group with the order of each key preserved', async () => {
    // Prepare
    const topic = 'orders';
    const mock = await startMock({ topics: [{ name: topic, partitions: 3 }] });
    const kafka = kafkaFor(mock);
    const producer = await connectProducer(kafka);
    const keys = Array.from({ length: 10 }, (_, i) => `order-${i}`);

    // Act
    for (let seq = 0; seq < 10; seq++) {
      await producer.send({
        topic,
        acks: -1,
        messages: keys.map((key) => ({ key, value: `${key}:${seq}` })),
      });
    }
    const received = await consume(kafka, topic, 100);

    // Assess
    expect(received).toHaveLength(100);
    for (const key of keys) {
      const ofKey = received.filter((m) => m.key === key);
      expect(ofKey.map((m) => m.value)).toEqual(Array.from({ length: 10 }, (_, seq) => `${key}:${seq}`));
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
    }
    expect(new Set(received.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it('delivers a message produced while its partition leader was down once the broker is back', async () => {
    // Prepare
    const topic = 'payments';
    const mock = await startMock({ topics: [{ name: topic, partitions: 1 }] });
    const kafka = kafkaFor(mock);
    const producer = await connectProducer(kafka);
    await producer.send({ topic, acks: -1, messages: [{ key: 'p', value: 'before' }] });
    const leader = await leaderOf(kafka, topic, 0);

    // Act
    await mock.brokerDown(leader);
    const during = sendInFlight(producer, topic, 'p', 'during');
    await sleep(OUTAGE_MS);
    const settledDuringOutage = during.state.settled;
    await mock.brokerUp(leader);
    const outcome = await during.result.then(
      () => 'sent',
      (error: unknown) => error,
    );
    await producer.send({ topic, acks: -1, messages: [{ key: 'p', value: 'after' }] });
    const received = await consume(kafka, topic, 3);

    // Assess
    expect(settledDuringOutage).toBe(false);
    expect(outcome).toBe('sent');
    expect(new Set(received.map((m) => m.value))).toEqual(new Set(['before', 'during', 'after']));
  });

  it('delivers a message produced while all brokers were down once they are back', async () => {
    // Prepare
    const topic = 'shipments';
    const mock = await startMock({ topics: [{ name: topic, partitions: 3 }] });
    const kafka = kafkaFor(mock);
    const producer = await connectProducer(kafka);
    await producer.send({ topic, acks: -1, messages: [{ key: 's', value: 'before' }] });

    // Act
    await mock.allBrokersDown();
    const during = sendInFlight(producer, topic, 's', 'during');
    await sleep(OUTAGE_MS);
    const settledDuringOutage = during.state.settled;
    await mock.allBrokersUp();
    const outcome = await during.result.then(
      () => 'sent',
      (error: unknown) => error,
    );
    await producer.send({ topic, acks: -1, messages: [{ key: 's', value: 'after' }] });
    const received = await consume(kafka, topic, 3);

    // Assess
    expect(settledDuringOutage).toBe(false);
    expect(outcome).toBe('sent');
    expect(received.map((m) => m.value)).toEqual(['before', 'during', 'after']);
  });

  it('rejects an existing topic, an oversized replication factor and an unknown broker with KafkaMockCommandError', async () => {
    // Prepare
    const mock = await startMock({ brokers: 2, topics: [{ name: 'orders', partitions: 3 }] });

    // Act
    const [duplicate, oversized, unknownBroker] = await Promise.allSettled([
      mock.createTopic('orders', 3),
      mock.createTopic('refunds', 1, 3),
      mock.brokerDown(7),
    ]);
    const fitting = await mock.createTopic('refunds', 1).then(
      () => 'created',
      (error: unknown) => error,
    );

    // Assess
    for (const outcome of [duplicate, oversized, unknownBroker]) {
      expect(outcome.status).toBe('rejected');
      expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(KafkaMockCommandError);
    }
    expect(duplicate.status === 'rejected' && (duplicate.reason as Error).message).toMatch(
      /TOPIC_ALREADY_EXISTS/,
    );
    expect(fitting).toBe('created');
  });

  it('ends the helper process on stop(), after which its brokers refuse connections', async () => {
    // Prepare
    const mock = await startMock({ brokers: 3 });
    const pid = mock.pid;
    if (pid === undefined) throw new Error('kafka-mock reported no process id');
    const ports = mock.brokers.map((address) => Number(address.split(':').at(-1)));
    const acceptedWhileRunning = await Promise.all(ports.map((port) => probePort(port)));

    // Act
    await mock.stop();

    // Assess
    expect(acceptedWhileRunning).toEqual(['accepted', 'accepted', 'accepted']);
    expect(processExists(pid)).toBe(false);
    expect(await Promise.all(ports.map((port) => probePort(port)))).toEqual([
      'refused',
      'refused',
      'refused',
    ]);
  });
});
