import '#test/unit/setup-env';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { logLevel, type ProducerBatch, type ProducerConfig, type SASLOptions } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readEnv } from '#platform/env';
import { ConfigurationError } from '#platform/errors';
import { KafkaTopicsFn } from '#platform/outbox/contract';
import {
  KafkaEventProducer,
  type KafkaSettings,
  kafkaClientConfig,
  kafkaSettingsOf,
  messageRejectionOf,
  resolveBootstrapBrokers,
} from '#platform/outbox/kafka-producer';
import {
  MessageRejectedError,
  type OutboundMessage,
  PublishDeadlineError,
  PublishError,
} from '#platform/outbox/producer';

const kafkajs = vi.hoisted(() => {
  const state = {
    configs: [] as unknown[],
    producerConfigs: [] as (ProducerConfig | undefined)[],
    connect: vi.fn(async () => {}),
    sendBatch: vi.fn(async (_batch: ProducerBatch) => []),
    disconnect: vi.fn(async () => {}),
  };
  class FakeKafka {
    constructor(config: unknown) {
      state.configs.push(config);
    }
    producer(config?: ProducerConfig) {
      state.producerConfigs.push(config);
      return { connect: state.connect, sendBatch: state.sendBatch, disconnect: state.disconnect };
    }
  }
  return { state, FakeKafka };
});

vi.mock('kafkajs', async (importOriginal) => ({
  ...(await importOriginal<typeof import('kafkajs')>()),
  Kafka: kafkajs.FakeKafka,
}));

vi.mock('aws-msk-iam-sasl-signer-js', () => ({
  generateAuthToken: vi.fn(async ({ region }: { region: string }) => ({
    token: `signed-for-${region}`,
    expiryTime: 1_740_834_000_000,
  })),
}));

const SETTINGS: KafkaSettings = {
  bootstrapBrokers: 'localhost:9092',
  clusterArn: '',
  auth: 'none',
  idempotent: false,
  clientId: 'order-saga',
  region: 'us-east-1',
  retries: 6,
  requestTimeoutMs: 10_000,
};

const message = (topic: string, key: string, value: string): OutboundMessage => ({
  topic,
  key,
  value,
  headers: { eventId: value },
});

/** The Kafka settings of a function whose contract declares only the Kafka client settings. */
const settingsFrom = (env: NodeJS.ProcessEnv, region?: string) =>
  kafkaSettingsOf(readEnv(KafkaTopicsFn, env), region);

describe('Function: kafkaSettingsOf', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads brokers, auth and producer options from the parsed environment', () => {
    // Prepare
    const env = {
      KAFKA_BOOTSTRAP_BROKERS: 'b-1:9098,b-2:9098',
      KAFKA_AUTH: 'iam',
      KAFKA_IDEMPOTENT_PRODUCER: 'false',
      KAFKA_CLIENT_ID: 'relay',
      KAFKA_SEND_RETRIES: '2',
      KAFKA_REQUEST_TIMEOUT_MS: '3000',
    };

    // Act
    const settings = settingsFrom(env, 'eu-west-1');

    // Assess
    expect(settings).toEqual({
      bootstrapBrokers: 'b-1:9098,b-2:9098',
      clusterArn: '',
      auth: 'iam',
      idempotent: false,
      clientId: 'relay',
      region: 'eu-west-1',
      retries: 2,
      requestTimeoutMs: 3000,
    });
  });

  it('defaults to IAM auth and the producer the tests run, not idempotent, for an MSK cluster', () => {
    // Prepare
    const env = { MSK_CLUSTER_ARN: 'arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc' };

    // Act
    const settings = settingsFrom(env);

    // Assess
    expect(settings).toMatchObject({
      bootstrapBrokers: '',
      clusterArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc',
      auth: 'iam',
      idempotent: false,
      clientId: 'order-saga',
      retries: 6,
      requestTimeoutMs: 10_000,
    });
  });

  it('signs in the region of the function (AWS_REGION) unless told another', () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');

    // Act
    const settings = settingsFrom({ KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092' });

    // Assess
    expect(settings.region).toBe('ap-southeast-2');
  });

  it('falls back to us-east-1 when the function has no AWS_REGION', () => {
    // Prepare
    vi.stubEnv('AWS_REGION', undefined);

    // Act
    const settings = settingsFrom({ KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092' });

    // Assess
    expect(settings.region).toBe('us-east-1');
  });

  it.each([
    ['neither is set', {}],
    ['both are blank', { KAFKA_BOOTSTRAP_BROKERS: ' ', MSK_CLUSTER_ARN: '' }],
  ])('fails fast when %s: brokers and cluster ARN', (_, env) => {
    // Act & Assess
    expect(() => settingsFrom({ KAFKA_AUTH: 'none', ...env })).toThrow(
      new ConfigurationError('Set KAFKA_BOOTSTRAP_BROKERS or MSK_CLUSTER_ARN'),
    );
  });

  it.each(['scram', 'IAM', 'plaintext'])('fails fast for KAFKA_AUTH "%s"', (auth) => {
    // Act
    const act = () => settingsFrom({ KAFKA_AUTH: auth, KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092' });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(`KAFKA_AUTH is invalid (`);
    expect(act).toThrow(`got "${auth}")`);
  });

  it('fails fast for a malformed KAFKA_IDEMPOTENT_PRODUCER', () => {
    // Act
    const act = () =>
      settingsFrom({ KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092', KAFKA_IDEMPOTENT_PRODUCER: 'yes' });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow('KAFKA_IDEMPOTENT_PRODUCER is invalid (');
    expect(act).toThrow('got "yes")');
  });

  it.each([
    ['KAFKA_SEND_RETRIES', '-1'],
    ['KAFKA_REQUEST_TIMEOUT_MS', '0'],
    ['KAFKA_REQUEST_TIMEOUT_MS', 'soon'],
  ])('fails fast for %s "%s"', (name, value) => {
    // Act
    const act = () => settingsFrom({ KAFKA_BOOTSTRAP_BROKERS: 'localhost:9092', [name]: value });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(`${name} is invalid (`);
  });
});

describe('Function: kafkaClientConfig', () => {
  it('uses plaintext without SASL for auth none', () => {
    // Act
    const config = kafkaClientConfig(SETTINGS, ['localhost:9092']);

    // Assess
    expect(config).toMatchObject({
      clientId: 'order-saga',
      brokers: ['localhost:9092'],
      requestTimeout: 10_000,
      logLevel: logLevel.WARN,
      retry: { retries: 6 },
    });
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
  });

  it('uses TLS and SASL OAUTHBEARER with an MSK IAM token for auth iam', async () => {
    // Prepare
    const settings: KafkaSettings = { ...SETTINGS, auth: 'iam', region: 'eu-central-1' };

    // Act
    const config = kafkaClientConfig(settings, ['b-1:9098']);

    // Assess
    expect(config.ssl).toBe(true);
    const sasl = config.sasl as SASLOptions & { oauthBearerProvider: () => Promise<{ value: string }> };
    expect(sasl.mechanism).toBe('oauthbearer');
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'signed-for-eu-central-1' });
  });
});

describe('Function: resolveBootstrapBrokers', () => {
  const kafkaApi = mockClient(KafkaClient);
  const CLUSTER = 'arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc';

  beforeEach(() => {
    kafkaApi.reset();
  });

  it('uses the configured brokers without asking MSK', async () => {
    // Act
    const brokers = await resolveBootstrapBrokers({ ...SETTINGS, bootstrapBrokers: 'b-1:9092, b-2:9092' });

    // Assess
    expect(brokers).toEqual(['b-1:9092', 'b-2:9092']);
    expect(kafkaApi.calls()).toHaveLength(0);
  });

  it.each([
    ['iam', 'b-1.iam:9098,b-2.iam:9098'],
    ['none', 'b-1.plain:9092,b-2.plain:9092'],
  ] as const)('asks MSK for the %s listener when only the cluster ARN is known', async (auth, expected) => {
    // Prepare
    kafkaApi.on(GetBootstrapBrokersCommand).resolves({
      BootstrapBrokerStringSaslIam: 'b-1.iam:9098,b-2.iam:9098',
      BootstrapBrokerString: 'b-1.plain:9092,b-2.plain:9092',
    });

    // Act
    const brokers = await resolveBootstrapBrokers(
      { ...SETTINGS, bootstrapBrokers: '', clusterArn: CLUSTER, auth },
      new KafkaClient({}),
    );

    // Assess
    expect(brokers).toEqual(expected.split(','));
    expect(kafkaApi.commandCalls(GetBootstrapBrokersCommand)[0]?.args[0].input).toEqual({
      ClusterArn: CLUSTER,
    });
  });

  it('fails with a ConfigurationError when MSK reports no brokers for the listener', async () => {
    // Prepare
    kafkaApi.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerString: 'b-1.plain:9092' });

    // Act & Assess
    await expect(
      resolveBootstrapBrokers({ ...SETTINGS, bootstrapBrokers: '', clusterArn: CLUSTER, auth: 'iam' }),
    ).rejects.toThrow(
      new ConfigurationError(`MSK cluster ${CLUSTER} reported no bootstrap brokers for auth iam`),
    );
  });
});

describe('Class: KafkaEventProducer', () => {
  beforeEach(() => {
    kafkajs.state.configs.length = 0;
    kafkajs.state.producerConfigs.length = 0;
    kafkajs.state.connect.mockReset().mockResolvedValue(undefined);
    kafkajs.state.sendBatch.mockReset().mockResolvedValue([]);
    kafkajs.state.disconnect.mockReset().mockResolvedValue(undefined);
  });

  it('sends one batch grouped by topic, keeping the order of each topic, and waits for all replicas', async () => {
    // Prepare
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    await producer.send([
      message('orders.events', 'order-a', 'a1'),
      message('payments.events', 'order-a', 'p1'),
      message('orders.events', 'order-b', 'b1'),
      message('orders.events', 'order-a', 'a2'),
    ]);

    // Assess
    expect(kafkajs.state.sendBatch).toHaveBeenCalledTimes(1);
    expect(kafkajs.state.sendBatch.mock.calls[0]?.[0]).toEqual({
      acks: -1,
      timeout: 10_000,
      topicMessages: [
        {
          topic: 'orders.events',
          messages: [
            { key: 'order-a', value: 'a1', headers: { eventId: 'a1' } },
            { key: 'order-b', value: 'b1', headers: { eventId: 'b1' } },
            { key: 'order-a', value: 'a2', headers: { eventId: 'a2' } },
          ],
        },
        { topic: 'payments.events', messages: [{ key: 'order-a', value: 'p1', headers: { eventId: 'p1' } }] },
      ],
    });
  });

  it('connects once, lazily, with one request in flight when the producer is not idempotent', async () => {
    // Prepare
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    await Promise.all([
      producer.send([message('orders.events', 'k', 'v1')]),
      producer.send([message('orders.events', 'k', 'v2')]),
    ]);
    await producer.send([message('orders.events', 'k', 'v3')]);

    // Assess
    expect(kafkajs.state.connect).toHaveBeenCalledTimes(1);
    expect(kafkajs.state.configs).toEqual([expect.objectContaining({ brokers: ['localhost:9092'] })]);
    expect(kafkajs.state.producerConfigs).toEqual([
      expect.objectContaining({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
    ]);
    expect(kafkajs.state.sendBatch).toHaveBeenCalledTimes(3);
  });

  it('connects when opened, sending nothing, and the first send reuses that connection', async () => {
    // Prepare
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    await producer.open();
    const sentWhileOpening = kafkajs.state.sendBatch.mock.calls.length;
    await producer.send([message('orders.events', 'k', 'v1')]);

    // Assess
    expect(sentWhileOpening).toBe(0);
    expect(kafkajs.state.connect).toHaveBeenCalledTimes(1);
    expect(kafkajs.state.sendBatch).toHaveBeenCalledTimes(1);
  });

  it('allows five requests in flight for an idempotent producer', async () => {
    // Prepare
    const producer = new KafkaEventProducer({ ...SETTINGS, idempotent: true }, async () => [
      'localhost:9092',
    ]);

    // Act
    await producer.send([message('orders.events', 'k', 'v')]);

    // Assess
    expect(kafkajs.state.producerConfigs[0]).toMatchObject({ idempotent: true, maxInFlightRequests: 5 });
  });

  it('does not connect for an empty send', async () => {
    // Prepare
    const brokers = vi.fn(async () => ['localhost:9092']);
    const producer = new KafkaEventProducer(SETTINGS, brokers);

    // Act
    await producer.send([]);

    // Assess
    expect(brokers).not.toHaveBeenCalled();
    expect(kafkajs.state.connect).not.toHaveBeenCalled();
  });

  it('wraps a failed connection in a PublishError and connects again on the next send', async () => {
    // Prepare
    const cause = new Error('ECONNREFUSED');
    kafkajs.state.connect.mockRejectedValueOnce(cause);
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    const first = producer.send([message('orders.events', 'k', 'v')]);

    // Assess
    await expect(first).rejects.toThrow(new PublishError('Could not connect to Kafka'));
    await expect(first.catch((error: Error) => error.cause)).resolves.toBe(cause);
    await producer.send([message('orders.events', 'k', 'v')]);
    expect(kafkajs.state.connect).toHaveBeenCalledTimes(2);
    expect(kafkajs.state.sendBatch).toHaveBeenCalledTimes(1);
  });

  it('wraps an unacknowledged batch in a PublishError', async () => {
    // Prepare
    kafkajs.state.sendBatch.mockRejectedValueOnce(new Error('NOT_ENOUGH_REPLICAS'));
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act & Assess
    await expect(
      producer.send([message('orders.events', 'k', 'v1'), message('orders.events', 'k', 'v2')]),
    ).rejects.toThrow(new PublishError('Kafka did not acknowledge 2 message(s)'));
  });

  it('disconnects the connected producer, and the next send connects again', async () => {
    // Prepare
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);
    await producer.send([message('orders.events', 'k', 'v')]);

    // Act
    await producer.disconnect();
    await producer.send([message('orders.events', 'k', 'v')]);

    // Assess
    expect(kafkajs.state.disconnect).toHaveBeenCalledTimes(1);
    expect(kafkajs.state.connect).toHaveBeenCalledTimes(2);
  });
  it('drops the producer after a failed send and connects a new one for the next send', async () => {
    // Prepare
    kafkajs.state.sendBatch.mockRejectedValueOnce(new Error('NOT_LEADER_FOR_PARTITION'));
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);
    await producer.send([message('orders.events', 'k', 'v1')]).catch(() => undefined);

    // Act
    await producer.send([message('orders.events', 'k', 'v2')]);

    // Assess
    expect(kafkajs.state.producerConfigs).toHaveLength(2);
    expect(kafkajs.state.connect).toHaveBeenCalledTimes(2);
    expect(kafkajs.state.disconnect).toHaveBeenCalledTimes(1);
  });

  it('gives up with a PublishDeadlineError when Kafka has not answered by the deadline', async () => {
    // Prepare
    kafkajs.state.sendBatch.mockImplementationOnce(() => new Promise(() => {}));
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    const sent = producer.send([message('orders.events', 'k', 'v')], { deadline: Date.now() + 50 });

    // Assess
    await expect(sent).rejects.toBeInstanceOf(PublishDeadlineError);
    await producer.send([message('orders.events', 'k', 'v')]);
    expect(kafkajs.state.producerConfigs).toHaveLength(2);
  });

  it('gives up with a PublishDeadlineError when it cannot connect by the deadline', async () => {
    // Prepare
    kafkajs.state.connect.mockImplementationOnce(() => new Promise(() => {}));
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    const sent = producer.send([message('orders.events', 'k', 'v')], { deadline: Date.now() + 50 });

    // Assess
    await expect(sent).rejects.toBeInstanceOf(PublishDeadlineError);
    expect(kafkajs.state.sendBatch).not.toHaveBeenCalled();
  });

  it('reports a message the broker rejects as such as a MessageRejectedError naming the reason', async () => {
    // Prepare
    const rejection = Object.assign(new Error('The request included a message larger than the max'), {
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    kafkajs.state.sendBatch.mockRejectedValueOnce(
      Object.assign(new Error('wrapped'), { name: 'KafkaJSNonRetriableError', cause: rejection }),
    );
    const producer = new KafkaEventProducer(SETTINGS, async () => ['localhost:9092']);

    // Act
    const sent = producer.send([message('orders.events', 'k', 'v')]);

    // Assess
    await expect(sent).rejects.toBeInstanceOf(MessageRejectedError);
    await expect(sent).rejects.toMatchObject({ reason: 'KAFKA_MESSAGE_TOO_LARGE' });
  });
});

describe('Function: messageRejectionOf', () => {
  it('finds a rejection inside an aggregate of errors', () => {
    // Prepare
    const error = { errors: [{ type: 'LEADER_NOT_AVAILABLE' }, { type: 'INVALID_RECORD' }] };

    // Act
    const reason = messageRejectionOf(error);

    // Assess
    expect(reason).toBe('INVALID_RECORD');
  });

  it('finds none in a broker outage', () => {
    // Act
    const reason = messageRejectionOf(new Error('Connection error: ECONNREFUSED'));

    // Assess
    expect(reason).toBeUndefined();
  });
});
