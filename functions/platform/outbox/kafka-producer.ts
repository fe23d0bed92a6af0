import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, type KafkaConfig, logLevel, Partitioners, type Producer } from 'kafkajs';
import type * as z from 'zod';
import { ConfigurationError } from '../errors';
import { logger } from '../powertools';
import type { KAFKA_CLIENT_SETTINGS } from './contract';
import {
  type EventProducer,
  MessageRejectedError,
  type OutboundMessage,
  PublishDeadlineError,
  PublishError,
  type SendOptions,
} from './producer';

/** The Kafka client settings of a function's parsed environment (see `KAFKA_CLIENT_SETTINGS`). */
export type KafkaClientEnv = {
  readonly [K in keyof typeof KAFKA_CLIENT_SETTINGS]: z.output<(typeof KAFKA_CLIENT_SETTINGS)[K]>;
};

export interface KafkaSettings {
  /** Comma-separated host:port list; empty means "resolve from clusterArn". */
  bootstrapBrokers: string;
  clusterArn: string;
  auth: 'iam' | 'none';
  idempotent: boolean;
  clientId: string;
  region: string;
  /** Retries of one send inside the client before the send fails. */
  retries: number;
  requestTimeoutMs: number;
}

/**
 * The Kafka connection of a function, from its parsed environment. The region is the function's own
 * (`AWS_REGION`, set by Lambda), which is where the MSK IAM token is signed.
 */
export function kafkaSettingsOf(
  env: KafkaClientEnv,
  region: string = process.env.AWS_REGION ?? 'us-east-1',
): KafkaSettings {
  const settings: KafkaSettings = {
    bootstrapBrokers: env.KAFKA_BOOTSTRAP_BROKERS,
    clusterArn: env.MSK_CLUSTER_ARN,
    auth: env.KAFKA_AUTH,
    idempotent: env.KAFKA_IDEMPOTENT_PRODUCER,
    clientId: env.KAFKA_CLIENT_ID,
    region,
    retries: env.KAFKA_SEND_RETRIES,
    requestTimeoutMs: env.KAFKA_REQUEST_TIMEOUT_MS,
  };
  if (settings.bootstrapBrokers === '' && settings.clusterArn === '') {
    throw new ConfigurationError('Set KAFKA_BOOTSTRAP_BROKERS or MSK_CLUSTER_ARN');
  }
  return settings;
}

/** Bootstrap brokers from config, or from the MSK API (IAM listener) when only the ARN is known. */
export async function resolveBootstrapBrokers(
  settings: KafkaSettings,
  kafkaApi?: KafkaClient,
): Promise<string[]> {
  if (settings.bootstrapBrokers !== '') return settings.bootstrapBrokers.split(',').map((b) => b.trim());
  const client = kafkaApi ?? new KafkaClient({});
  const response = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: settings.clusterArn }));
  const brokers =
    settings.auth === 'iam' ? response.BootstrapBrokerStringSaslIam : response.BootstrapBrokerString;
  if (!brokers) {
    throw new ConfigurationError(
      `MSK cluster ${settings.clusterArn} reported no bootstrap brokers for auth ${settings.auth}`,
    );
  }
  return brokers.split(',');
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Routes kafkajs' own log lines through the structured logger. */
const kafkaLogCreator = () => (entry: { level: number; namespace: string; log: { message: string } }) => {
  const level = LEVELS[entry.level] ?? 'info';
  const { message, ...rest } = entry.log;
  logger[level](`kafka: ${message}`, { kafkaNamespace: entry.namespace, ...rest });
};

export function kafkaClientConfig(settings: KafkaSettings, brokers: string[]): KafkaConfig {
  const base: KafkaConfig = {
    clientId: settings.clientId,
    brokers,
    connectionTimeout: 5_000,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator,
    retry: { retries: settings.retries, initialRetryTime: 250, maxRetryTime: 5_000 },
  };
  if (settings.auth === 'none') return base;
  return {
    ...base,
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { token } = await generateAuthToken({ region: settings.region });
        return { value: token };
      },
    },
  };
}

/** Broker errors that reject a message (or the request carrying it) as such: resending cannot help. */
const MESSAGE_REJECTIONS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

/** The broker's error type behind a kafkajs error, when it is a message rejection. */
export function messageRejectionOf(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== 'object' || depth > 5) return undefined;
  const { type, cause, errors } = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof type === 'string' && MESSAGE_REJECTIONS.has(type)) return type;
  if (cause !== error) {
    const found = messageRejectionOf(cause, depth + 1);
    if (found) return found;
  }
  for (const inner of Array.isArray(errors) ? errors : []) {
    const found = messageRejectionOf(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Resolves with `work`, or rejects with a PublishDeadlineError once `deadline` has passed. */
function beforeDeadline<T>(work: Promise<T>, deadline: number | undefined, what: string): Promise<T> {
  if (deadline === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PublishDeadlineError(`${what}: no answer from Kafka within the time budget`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * EventProducer over kafkajs. Connects lazily and keeps the connection for the life of the container;
 * after a failed send the producer is dropped and the next send connects a new one, so a client left
 * in a bad state by a broker outage is not reused. Sends wait for all in-sync replicas (acks -1).
 * Without the idempotent producer (the default, and what the tests run), one request is in flight at a
 * time so client retries cannot reorder messages of one key. A send given a deadline gives up when it
 * passes, so a slow broker costs the caller its budget, never its function timeout.
 */
export class KafkaEventProducer implements EventProducer {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;

  constructor(
    private readonly settings: KafkaSettings,
    private readonly brokers: () => Promise<string[]> = () => resolveBootstrapBrokers(settings),
  ) {}

  private async connect(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.connecting ??= (async () => {
      const kafka = new Kafka(kafkaClientConfig(this.settings, await this.brokers()));
      const producer = kafka.producer({
        idempotent: this.settings.idempotent,
        maxInFlightRequests: this.settings.idempotent ? 5 : 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: this.settings.retries, initialRetryTime: 250, maxRetryTime: 5_000 },
      });
      try {
        await producer.connect();
      } catch (error) {
        await producer.disconnect().catch(() => {});
        throw error;
      }
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = undefined;
    });
    try {
      return await this.connecting;
    } catch (cause) {
      throw new PublishError('Could not connect to Kafka', { cause });
    }
  }

  /** Connects now (priming in the init phase); a send connects by itself when this was not called. */
  async open(): Promise<void> {
    await this.connect();
  }

  async send(messages: readonly OutboundMessage[], options: SendOptions = {}): Promise<void> {
    if (messages.length === 0) return;
    const { deadline } = options;
    const producer = await beforeDeadline(this.connect(), deadline, 'Connecting');
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      list.push({ key: message.key, value: message.value, headers: message.headers });
      byTopic.set(message.topic, list);
    }
    try {
      await beforeDeadline(
        producer.sendBatch({
          acks: -1,
          timeout: this.settings.requestTimeoutMs,
          topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
        }),
        deadline,
        `Sending ${messages.length} message(s)`,
      );
    } catch (cause) {
      this.drop(producer);
      if (cause instanceof PublishDeadlineError) throw cause;
      const rejection = messageRejectionOf(cause);
      if (rejection) {
        throw new MessageRejectedError(
          `KAFKA_${rejection}`,
          `Kafka rejected a message of ${messages.length}: ${rejection}`,
          { cause },
        );
      }
      throw new PublishError(`Kafka did not acknowledge ${messages.length} message(s)`, { cause });
    }
  }

  /** Forgets a producer after a failed send; it disconnects in the background. */
  private drop(producer: Producer): void {
    if (this.producer === producer) this.producer = undefined;
    producer.disconnect().catch((error: unknown) => {
      logger.debug('disconnecting a failed producer failed', { error: error as Error });
    });
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect();
  }
}
