import { type Consumer, type EachBatchPayload, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import type { LocalLambda } from './lambda';
import type { LogSink } from './logs';
import { OnFailure, type OnFailureDestination, type OnFailureRecord } from './on-failure';

export interface KafkaMappingDefinition {
  logicalId: string;
  fn: LocalLambda;
  clusterArn: string;
  topics: string[];
  consumerGroupId: string;
  batchSize: number;
  maxBatchingWindowMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** -1 retries until the function succeeds (Lambda's default for Kafka sources). */
  maxRetryAttempts: number;
  bisectOnError: boolean;
  onFailure?: OnFailureDestination;
}

interface MskRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string;
  value: string;
  headers: Record<string, number[]>[];
}

function toMskRecord(topic: string, partition: number, message: KafkaMessage): MskRecord {
  const headers = Object.entries(message.headers ?? {}).map(([name, value]) => ({
    [name]: [...Buffer.from(Array.isArray(value) ? String(value[0]) : (value ?? ''))],
  }));
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: 'CREATE_TIME',
    ...(message.key ? { key: message.key.toString('base64') } : {}),
    value: (message.value ?? Buffer.alloc(0)).toString('base64'),
    headers,
  };
}

/**
 * An Amazon MSK event source mapping: a Kafka consumer group that delivers batches to the function in
 * the shape Lambda gives MSK events, commits offsets only after the function succeeded, and applies
 * the mapping's retry limit, bisect and on-failure destination. Partitions are consumed concurrently,
 * records of one partition strictly in order.
 */
export class KafkaMapping {
  private consumer: Consumer | undefined;
  private readonly onFailure: OnFailure;
  invocations = 0;
  private stopped = false;

  constructor(
    readonly definition: KafkaMappingDefinition,
    private readonly bootstrap: string,
    private readonly logs: LogSink,
    private readonly options: { retryBaseDelayMs: number; partitionsConcurrently: number },
  ) {
    this.onFailure = new OnFailure(
      {
        logSource: 'kafka-mapping',
        logicalId: definition.logicalId,
        functionArn: definition.fn.definition.arn,
      },
      logs,
      definition.onFailure,
    );
  }

  /** Batches the mapping gave up on, as sent to the on-failure destination. */
  get discarded(): readonly OnFailureRecord[] {
    return this.onFailure.sent;
  }

  async start(): Promise<void> {
    const kafka = new Kafka({
      clientId: `lambda-esm-${this.definition.logicalId}`.slice(0, 200),
      brokers: this.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 3_000 },
    });
    const consumer = kafka.consumer({
      groupId: this.definition.consumerGroupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: Math.max(50, Math.min(this.definition.maxBatchingWindowMs, 500)),
      retry: {
        retries: 30,
        initialRetryTime: 200,
        maxRetryTime: 3_000,
        restartOnFailure: async () => !this.stopped,
      },
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.logs.write(
        'kafka-mapping',
        `${this.definition.logicalId}: consumer crashed: ${event.payload.error.message}; restarting`,
      );
    });
    // Kept before connecting, so that stop() also ends a consumer whose start failed half way.
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({
      topics: this.definition.topics,
      fromBeginning: this.definition.startingPosition === 'TRIM_HORIZON',
    });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) {
    for (let start = 0; start < batch.messages.length; start += this.definition.batchSize) {
      if (!isRunning() || isStale() || this.stopped) return;
      const messages = batch.messages.slice(start, start + this.definition.batchSize);
      const records = messages.map((message) => toMskRecord(batch.topic, batch.partition, message));
      const beat = setInterval(() => void heartbeat().catch(() => {}), 1_000);
      try {
        await this.deliver(records);
      } finally {
        clearInterval(beat);
      }
      if (this.stopped) return;
      const last = messages.at(-1);
      if (last) resolveOffset(last.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  private event(records: MskRecord[]) {
    const grouped: Record<string, MskRecord[]> = {};
    for (const record of records) {
      const key = `${record.topic}-${record.partition}`;
      grouped[key] = [...(grouped[key] ?? []), record];
    }
    return {
      eventSource: 'aws:kafka',
      eventSourceArn: this.definition.clusterArn,
      bootstrapServers: this.bootstrap,
      records: grouped,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Delivers records until the function succeeds, the retry limit is reached, or the mapping stops. */
  private async deliver(records: MskRecord[]): Promise<void> {
    const pending: MskRecord[][] = [records];
    let attempts = 0;
    while (pending.length > 0 && !this.stopped) {
      const batch = pending[0] as MskRecord[];
      this.invocations++;
      const result = await this.definition.fn.invoke(this.event(batch));
      if (result.ok) {
        pending.shift();
        attempts = 0;
        continue;
      }
      attempts++;
      this.logs.write(
        'kafka-mapping',
        `${this.definition.logicalId}: ${result.error.errorType}: ${result.error.errorMessage} (attempt ${attempts})`,
      );
      if (this.definition.maxRetryAttempts >= 0 && attempts > this.definition.maxRetryAttempts) {
        this.discard(batch, attempts);
        pending.shift();
        attempts = 0;
        continue;
      }
      if (this.definition.bisectOnError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        pending.splice(0, 1, batch.slice(0, half), batch.slice(half));
      }
      await this.sleep(Math.min(this.options.retryBaseDelayMs * 2 ** Math.min(attempts - 1, 5), 5_000));
    }
  }

  private discard(batch: MskRecord[], attempts: number): void {
    const first = batch[0];
    const last = batch.at(-1);
    this.onFailure.discard({
      condition: 'RetryAttemptsExhausted',
      attempts,
      batchSize: batch.length,
      batchInfo: {
        KafkaBatchInfo: {
          batchSize: batch.length,
          topic: first?.topic,
          partition: first?.partition,
          startOffset: first?.offset,
          endOffset: last?.offset,
          approximateArrivalOfFirstRecord: first?.timestamp,
          approximateArrivalOfLastRecord: last?.timestamp,
          eventSourceArn: this.definition.clusterArn,
        },
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => {});
  }
}
