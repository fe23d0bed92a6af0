import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { type Admin, type Consumer, Kafka, type KafkaConfig, logLevel, type Producer } from 'kafkajs';
import type { AwsClients } from './aws';
import { ChaosError } from './errors';
import type { TopicMessage } from './model';
import type { SystemMap } from './system';
import { poll } from './wait';

/** The Kafka client of the tool: the brokers the functions use, with their authentication. */
export async function kafkaConfig(
  clients: AwsClients,
  system: SystemMap,
  clientId: string,
): Promise<KafkaConfig> {
  const { bootstrapBrokers, clusterArn, auth } = system.kafka;
  let brokers = bootstrapBrokers;
  if (!brokers && clusterArn) {
    const answer = await clients.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    brokers = auth === 'iam' ? answer.BootstrapBrokerStringSaslIam : answer.BootstrapBrokerString;
  }
  if (!brokers) throw new ChaosError('The functions name no Kafka brokers or cluster');
  const base: KafkaConfig = {
    clientId,
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    retry: { retries: 50, initialRetryTime: 300, maxRetryTime: 5_000 },
  };
  if (auth === 'none') return base;
  return {
    ...base,
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({
        value: (await generateAuthToken({ region: clients.region })).token,
      }),
    },
  };
}

/** What the invariants need of a message: its envelope's ids and payload, when it parses. */
export function messageOf(topic: string, key: string, value: string): TopicMessage {
  try {
    const envelope = JSON.parse(value) as {
      eventId?: unknown;
      eventType?: unknown;
      payload?: unknown;
    };
    return {
      topic,
      key,
      ...(typeof envelope.eventId === 'string' ? { eventId: envelope.eventId } : {}),
      ...(typeof envelope.eventType === 'string' ? { eventType: envelope.eventType } : {}),
      ...(envelope.payload && typeof envelope.payload === 'object'
        ? { payload: envelope.payload as Record<string, unknown> }
        : {}),
    };
  } catch {
    return { topic, key };
  }
}

/**
 * Reads every topic from the start for the whole run, in its own consumer group, so the invariants
 * can check what was published. `caughtUp()` waits until it has read up to the end of every partition.
 */
export class TopicWatcher {
  readonly messages: TopicMessage[] = [];
  private readonly positions = new Map<string, number>();

  private constructor(
    private readonly consumer: Consumer,
    private readonly admin: Admin,
    private readonly producer: Producer,
    readonly topics: readonly string[],
  ) {}

  static async start(config: KafkaConfig, topics: readonly string[], runId: string): Promise<TopicWatcher> {
    const kafka = new Kafka(config);
    const consumer = kafka.consumer({
      groupId: `chaos-observer-${runId}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
      retry: { retries: 50, initialRetryTime: 300, maxRetryTime: 5_000, restartOnFailure: async () => true },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false });
    const watcher = new TopicWatcher(consumer, admin, producer, topics);
    try {
      await Promise.all([consumer.connect(), admin.connect(), producer.connect()]);
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          watcher.messages.push(
            messageOf(topic, message.key?.toString() ?? '', message.value?.toString() ?? ''),
          );
          watcher.positions.set(`${topic}/${partition}`, Number(message.offset) + 1);
        },
      });
    } catch (error) {
      await watcher.stop();
      throw new ChaosError('Could not read the topics', { cause: error });
    }
    return watcher;
  }

  /** Offsets after the last record of every partition of the topics. */
  private async ends(topics: readonly string[]): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    for (const topic of topics)
      for (const { partition, high } of await this.admin.fetchTopicOffsets(topic))
        ends.set(`${topic}/${partition}`, Number(high));
    return ends;
  }

  /** Waits until everything published so far has been read. */
  async caughtUp(timeoutMs = 120_000): Promise<void> {
    const ends = await this.ends(this.topics);
    await poll(
      async () =>
        [...ends].every(([partition, end]) => end === 0 || (this.positions.get(partition) ?? 0) >= end),
      { timeoutMs, intervalMs: 500, description: 'reading the topics to their end' },
    );
  }

  /** Records of the topic that the consumer group has not committed yet. */
  async lag(groupId: string, topic: string): Promise<number> {
    const ends = await this.ends([topic]);
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0;
    for (const [key, end] of ends) {
      const partition = Number(key.split('/').pop());
      const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      lag += end - Math.max(offset, 0);
    }
    return lag;
  }

  /** Publishes records as they are, keyed (what a faulty producer could put on a topic). */
  async produce(topic: string, records: { key: string; value: string }[]): Promise<void> {
    await this.producer.send({ topic, messages: records, acks: -1 });
  }

  async stop(): Promise<void> {
    await Promise.allSettled([
      this.consumer.disconnect(),
      this.admin.disconnect(),
      this.producer.disconnect(),
    ]);
  }
}
