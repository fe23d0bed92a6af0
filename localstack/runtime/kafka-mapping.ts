import { type Consumer, type EachBatchPayload, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { LocalRuntimeError } from './errors';
import { matchesAnyFilter } from './filter';
import type { InvokeResult } from './lambda';
import type { LogSink } from './logs';
import { MappingSwitch } from './mapping-switch';
import {
  type FailureCondition,
  type KafkaRecordsInfo,
  OnFailure,
  type OnFailureDestination,
  type OnFailureRecord,
} from './on-failure';

/**
 * What a mapping invokes: a function of the local runtime, or a function behind a Lambda `Invoke` API
 * (the bridge, `localstack/bridge/`).
 */
export interface MappingTarget {
  readonly definition: { readonly name: string; readonly arn: string };
  invoke(event: unknown): Promise<InvokeResult>;
}

export interface KafkaMappingDefinition {
  logicalId: string;
  /** The mapping's UUID in the local Lambda API. */
  uuid?: string;
  fn: MappingTarget;
  clusterArn: string;
  topics: string[];
  consumerGroupId: string;
  batchSize: number;
  /** How long records are gathered before an invocation (`MaximumBatchingWindowInSeconds`, default 500 ms). */
  maxBatchingWindowMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** -1 retries until the function succeeds (Lambda's default for Kafka sources). */
  maxRetryAttempts: number;
  bisectOnError: boolean;
  /** -1 means no age limit. */
  maxRecordAgeSeconds?: number;
  /** `FunctionResponseTypes: [ReportBatchItemFailures]`. */
  reportBatchItemFailures?: boolean;
  /** Patterns of `FilterCriteria`, matched against `{ value }` (the record's value, parsed when it is JSON). */
  filters?: Record<string, unknown>[];
  /** `Enabled: false` in the template: no consumer runs until the mapping is enabled. Default true. */
  enabled?: boolean;
  /** The time scale the batching window was divided by (reported unscaled by the Lambda API). */
  timeScale?: number;
  /** The on-failure destination's ARN, as the Lambda API reports it. */
  destinationArn?: string;
  onFailure?: OnFailureDestination;
}

export interface KafkaMappingOptions {
  retryBaseDelayMs: number;
  /** Invocations of one mapping under way at once, each with records of different partitions. */
  partitionsConcurrently: number;
}

export interface MskRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string;
  value: string;
  headers: Record<string, number[]>[];
}

type Outcome = 'FunctionError' | 'PartialFailure';

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

const partitionKey = (record: { topic: string; partition: number }) => `${record.topic}-${record.partition}`;

/**
 * What Lambda's event filtering sees of a Kafka record: only its `value`, as the parsed JSON object
 * when the value is JSON, otherwise as the plain (UTF-8) string.
 */
export function filterView(record: MskRecord): { value: unknown } {
  const text = Buffer.from(record.value, 'base64').toString('utf8');
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { value: text };
  }
}

/** Groups records by `topic-partition`, each list in offset order, as the MSK event carries them. */
export function groupByPartition(records: readonly MskRecord[]): Record<string, MskRecord[]> {
  const grouped: Record<string, MskRecord[]> = {};
  for (const record of records) {
    const key = partitionKey(record);
    grouped[key] = [...(grouped[key] ?? []), record];
  }
  for (const list of Object.values(grouped)) list.sort((a, b) => a.offset - b.offset);
  return grouped;
}

/**
 * Reads a Kafka partial batch response: per `topic-partition`, the lowest offset the function reported
 * (`{ batchItemFailures: [{ itemIdentifier: { partition: "topic-0", offset: 7 } }] }`). Undefined when the
 * response reports nothing (the batch succeeded); `'invalid'` when an entry is malformed or names a
 * record that is not in the batch, which fails the whole batch, as in Lambda.
 */
export function reportedFailures(
  batch: readonly MskRecord[],
  payload: unknown,
): Map<string, number> | 'invalid' | undefined {
  const failures = (payload as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return undefined;
  const firstFailed = new Map<string, number>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier as
      | { partition?: unknown; offset?: unknown }
      | null
      | undefined;
    if (!id || typeof id !== 'object' || typeof id.partition !== 'string') return 'invalid';
    const offset = Number(id.offset);
    if (id.offset === null || id.offset === '' || !Number.isInteger(offset)) return 'invalid';
    const key = id.partition;
    if (!batch.some((record) => partitionKey(record) === key && record.offset === offset)) return 'invalid';
    firstFailed.set(key, Math.min(firstFailed.get(key) ?? offset, offset));
  }
  return firstFailed;
}

/** One partition the consumer was given: records read and not yet done with, and its commit position. */
interface PartitionState {
  topic: string;
  partition: number;
  /** Records read, not yet handed to an invocation, in offset order, with the time each arrived. */
  buffered: { record: MskRecord; arrived: number }[];
  /** Records handed to a delivery under way and not yet done with (succeeded or discarded). */
  delivering: MskRecord[];
  /** The offset after the last record read: records below it that are read again are skipped. */
  nextRead: number | undefined;
  /** The last offset committed for the group. */
  committed: number | undefined;
  /** Fetching is paused while the partition has a full batch buffered. */
  paused: boolean;
}

/**
 * An Amazon MSK event source mapping: a Kafka consumer group (the template's `ConsumerGroupId`) whose
 * records are gathered across partitions into batches of up to `BatchSize`, or whatever arrived within
 * the batching window, and delivered in the shape Lambda gives MSK events (records keyed
 * `topic-partition`). A partition has at most one batch under way, so its records are processed in
 * offset order and nothing of it overtakes an earlier record that is being retried. Offsets are
 * committed per partition up to the first record not yet done with: after a success, a partial batch
 * response (up to the first reported record), a discard to the on-failure destination, or records the
 * filters dropped. The mapping applies `MaximumRetryAttempts`, `BisectBatchOnFunctionError`,
 * `MaximumRecordAgeInSeconds`, `FilterCriteria` and `Enabled`; a disabled mapping has no consumer, and
 * enabling it again reads on from the committed offsets.
 */
export class KafkaMapping {
  private consumer: Consumer | undefined;
  private readonly onFailure: OnFailure;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private windowTimer: NodeJS.Timeout | undefined;
  private commitChain: Promise<void> = Promise.resolve();
  /** True while the consumer runs and batches may be dispatched. */
  private polling = false;
  /** Settles once the consumer has joined its group and fetched with its partitions' offsets resolved. */
  private consuming: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly control: MappingSwitch;
  invocations = 0;

  constructor(
    readonly definition: KafkaMappingDefinition,
    private readonly bootstrap: string,
    private readonly logs: LogSink,
    private readonly options: KafkaMappingOptions,
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
    this.control = new MappingSwitch(
      definition.enabled ?? true,
      () => this.beginPolling(),
      () => this.haltPolling(),
      (error) => this.log(`${String(error)}`),
    );
  }

  /** Records the mapping gave up on, as sent to the on-failure destination. */
  get discarded(): readonly OnFailureRecord[] {
    return this.onFailure.sent;
  }

  /**
   * Lambda applies at most 10 retries when retries are unlimited (-1) and the mapping has an on-failure
   * destination.
   */
  private get retryLimit(): number {
    const { maxRetryAttempts, onFailure } = this.definition;
    return maxRetryAttempts < 0 && onFailure ? 10 : maxRetryAttempts;
  }

  private log(line: string): void {
    this.logs.write('kafka-mapping', `${this.definition.logicalId}: ${line}`);
  }

  /**
   * Joins the consumer group and starts consuming, unless the mapping is disabled. Resolves once the
   * mapping consumes: it is a member of its group, owns its partitions and has fetched from their
   * resolved offsets (so a `LATEST` mapping gets every record sent after this resolves). Throws when
   * that does not happen within `joinTimeoutMs` (default 120 s).
   */
  async start(joinTimeoutMs = 120_000): Promise<void> {
    if (!this.control.enabled) return;
    await this.beginPolling();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new LocalRuntimeError(
              `${this.definition.logicalId}: the consumer group ${this.definition.consumerGroupId} did not start consuming within ${joinTimeoutMs} ms`,
            ),
          ),
        joinTimeoutMs,
      );
    });
    try {
      await Promise.race([this.consuming, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Enables or disables the mapping (UpdateEventSourceMapping `Enabled`); resolves once it is. */
  setEnabled(enabled: boolean): Promise<void> {
    return this.control.set(enabled);
  }

  /** Changes the batching (UpdateEventSourceMapping `BatchSize`, `MaximumBatchingWindowInSeconds`). */
  configure(changes: { batchSize?: number; maxBatchingWindowMs?: number }): void {
    if (changes.batchSize !== undefined) this.definition.batchSize = changes.batchSize;
    if (changes.maxBatchingWindowMs !== undefined)
      this.definition.maxBatchingWindowMs = changes.maxBatchingWindowMs;
    this.control.lastModified = new Date();
    this.dispatch();
  }

  private async beginPolling(): Promise<void> {
    if (this.stopped || this.polling) return;
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
      // How long a fetch waits when a partition has nothing new; records that exist return at once,
      // but the mock cluster answers a waiting fetch only when the wait ends, so a record produced
      // meanwhile waits for it: kept short (each Kafka hop of the saga waited up to 500 ms).
      maxWaitTimeInMs: 100,
      retry: {
        retries: 30,
        initialRetryTime: 200,
        maxRetryTime: 3_000,
        restartOnFailure: async () => !this.stopped && this.polling,
      },
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.log(`consumer crashed: ${event.payload.error.message}; restarting`);
    });
    // A consumer that restarted has forgotten which partitions were paused: ask it.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      const paused = consumer.paused();
      for (const state of this.partitions.values()) {
        state.paused = paused.some(
          ({ topic, partitions }) => topic === state.topic && (partitions ?? []).includes(state.partition),
        );
      }
    });
    // Consuming: the first fetch after joining the group (offsets are resolved before a fetch).
    let joined = false;
    this.consuming = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      consumer.on(consumer.events.FETCH, () => {
        if (joined) resolve();
      });
    });
    // Kept before connecting, so that stop() also ends a consumer whose start failed half way.
    this.consumer = consumer;
    this.polling = true;
    await consumer.connect();
    await consumer.subscribe({
      topics: this.definition.topics,
      fromBeginning: this.definition.startingPosition === 'TRIM_HORIZON',
    });
    await consumer.run({
      // Offsets are committed by the mapping, per partition, once records are done with.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 16,
      eachBatch: async (payload) => this.onFetched(payload),
    });
  }

  /**
   * Stops dispatching, lets the deliveries under way end (an invocation in flight completes and its
   * records are committed; a batch waiting for a retry is given up without committing), then leaves
   * the consumer group. Records read but not delivered are read again from the committed offsets.
   */
  private async haltPolling(): Promise<void> {
    this.polling = false;
    clearTimeout(this.windowTimer);
    for (const wake of this.sleepers) wake();
    await Promise.all(this.deliveries);
    await this.commitChain;
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => {});
    this.partitions.clear();
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const key = partitionKey({ topic, partition });
    let state = this.partitions.get(key);
    if (!state) {
      state = {
        topic,
        partition,
        buffered: [],
        delivering: [],
        nextRead: undefined,
        committed: undefined,
        paused: false,
      };
      this.partitions.set(key, state);
    }
    return state;
  }

  /** Takes what a fetch returned into the partition's buffer (or drops what the filters reject). */
  private onFetched({ batch, resolveOffset }: EachBatchPayload): void {
    if (!this.polling || this.stopped) return;
    const state = this.stateOf(batch.topic, batch.partition);
    const now = Date.now();
    const filters = this.definition.filters ?? [];
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      // A consumer that rejoined reads again from the committed offset: skip what is already held.
      if (state.nextRead !== undefined && offset < state.nextRead) continue;
      state.nextRead = offset + 1;
      const record = toMskRecord(batch.topic, batch.partition, message);
      if (filters.length > 0 && !matchesAnyFilter(filters, filterView(record))) continue;
      state.buffered.push({ record, arrived: now });
    }
    const last = batch.messages.at(-1);
    // Moves the fetch position on; nothing is committed until the records are done with.
    if (last) resolveOffset(last.offset);
    if (state.buffered.length >= this.definition.batchSize && !state.paused) {
      state.paused = true;
      this.consumer?.pause([{ topic: state.topic, partitions: [state.partition] }]);
    }
    this.commit([state]);
    this.dispatch();
  }

  /**
   * Starts deliveries while fewer than `partitionsConcurrently` are under way: a batch takes the
   * buffered records of partitions that have no delivery under way, oldest first, up to `BatchSize`,
   * once that many are buffered or the oldest has waited for the batching window.
   */
  private dispatch(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    while (this.polling && !this.stopped && this.deliveries.size < this.options.partitionsConcurrently) {
      const ready = [...this.partitions.values()].filter(
        (state) => state.delivering.length === 0 && state.buffered.length > 0,
      );
      if (ready.length === 0) return;
      const { batchSize, maxBatchingWindowMs } = this.definition;
      const available = ready.reduce((sum, state) => sum + state.buffered.length, 0);
      const oldest = Math.min(...ready.map((state) => state.buffered[0]?.arrived ?? Date.now()));
      const windowEnds = oldest + maxBatchingWindowMs;
      if (available < batchSize && Date.now() < windowEnds) {
        this.windowTimer = setTimeout(() => this.dispatch(), windowEnds - Date.now());
        return;
      }
      ready.sort((a, b) => (a.buffered[0]?.arrived ?? 0) - (b.buffered[0]?.arrived ?? 0));
      const batch: MskRecord[] = [];
      for (const state of ready) {
        if (batch.length >= batchSize) break;
        const taken = state.buffered.splice(0, batchSize - batch.length).map((entry) => entry.record);
        state.delivering.push(...taken);
        batch.push(...taken);
        if (state.paused && state.buffered.length < batchSize) {
          state.paused = false;
          this.consumer?.resume([{ topic: state.topic, partitions: [state.partition] }]);
        }
      }
      const delivery: Promise<void> = this.deliver(batch)
        .catch((error: unknown) => this.log(`delivery failed: ${String(error)}`))
        .finally(() => {
          this.deliveries.delete(delivery);
          this.dispatch();
        });
      this.deliveries.add(delivery);
    }
  }

  private event(records: readonly MskRecord[]) {
    return {
      eventSource: 'aws:kafka',
      eventSourceArn: this.definition.clusterArn,
      bootstrapServers: this.bootstrap,
      records: groupByPartition(records),
    };
  }

  /** Waits, unless the mapping stops polling first. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async invoke(records: readonly MskRecord[]): Promise<InvokeResult> {
    this.invocations++;
    try {
      return await this.definition.fn.invoke(this.event(records));
    } catch (error) {
      return {
        ok: false,
        error: { errorType: (error as Error).name, errorMessage: (error as Error).message },
      };
    }
  }

  /**
   * Delivers records with the mapping's retry semantics until every record succeeded or was
   * discarded, or the mapping stops polling (the rest is then read again from the committed offsets).
   */
  private async deliver(records: MskRecord[]): Promise<void> {
    const pending: MskRecord[][] = [records];
    let attempts = 0;
    let lastOutcome: Outcome | undefined;
    const settle = (done: readonly MskRecord[]) => this.finish(done);
    while (pending.length > 0 && this.polling && !this.stopped) {
      let batch = pending[0] as MskRecord[];
      const maxAge = this.definition.maxRecordAgeSeconds ?? -1;
      if (maxAge >= 0) {
        // Records past the maximum age are dropped alone; the rest of the batch goes on.
        const oldest = Date.now() - maxAge * 1000;
        const expired = batch.filter((record) => record.timestamp < oldest);
        if (expired.length > 0) {
          this.discard(expired, 'RecordAgeExceeded', attempts, lastOutcome);
          settle(expired);
          batch = batch.filter((record) => !expired.includes(record));
          pending[0] = batch;
          if (batch.length === 0) {
            pending.shift();
            attempts = 0;
            lastOutcome = undefined;
            continue;
          }
        }
      }
      const result = await this.invoke(batch);
      let retry = batch;
      if (result.ok) {
        const reported = this.definition.reportBatchItemFailures
          ? reportedFailures(batch, result.payload)
          : undefined;
        if (reported === undefined) {
          settle(batch);
          pending.shift();
          attempts = 0;
          lastOutcome = undefined;
          continue;
        }
        if (reported !== 'invalid') {
          // Each reported partition is done up to its first reported record; the others entirely.
          const failed = (record: MskRecord) =>
            record.offset >= (reported.get(partitionKey(record)) ?? Infinity);
          settle(batch.filter((record) => !failed(record)));
          retry = batch.filter(failed);
        } else {
          this.log('the partial batch response names a record that is not in the batch; retrying the batch');
        }
        lastOutcome = 'PartialFailure';
      } else {
        lastOutcome = 'FunctionError';
        this.log(`${result.error.errorType}: ${result.error.errorMessage} (attempt ${attempts + 1})`);
      }
      attempts++;
      if (this.retryLimit >= 0 && attempts > this.retryLimit) {
        this.discard(retry, 'RetryAttemptsExhausted', attempts, lastOutcome);
        settle(retry);
        pending.shift();
        attempts = 0;
        lastOutcome = undefined;
        continue;
      }
      if (retry !== batch) {
        pending[0] = retry;
      } else if (this.definition.bisectOnError && !result.ok && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        pending.splice(0, 1, batch.slice(0, half), batch.slice(half));
      }
      await this.sleep(Math.min(this.options.retryBaseDelayMs * 2 ** Math.min(attempts - 1, 5), 5_000));
    }
    if (pending.length > 0) {
      // Given up because the mapping stopped polling: nothing more of these partitions is committed.
      for (const record of pending.flat()) {
        const state = this.partitions.get(partitionKey(record));
        if (state) state.delivering = state.delivering.filter((r) => r !== record);
      }
    }
  }

  /** Records are done with: their partitions may commit past them and take new batches. */
  private finish(done: readonly MskRecord[]): void {
    const touched = new Set<PartitionState>();
    for (const record of done) {
      const state = this.partitions.get(partitionKey(record));
      if (!state) continue;
      state.delivering = state.delivering.filter((r) => r !== record);
      touched.add(state);
    }
    this.commit([...touched]);
  }

  /** Commits each partition up to its first record not yet done with. */
  private commit(states: readonly PartitionState[]): void {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const state of states) {
      // Records under way precede the buffered ones, which precede what is still to be read.
      const first = state.delivering.length
        ? Math.min(...state.delivering.map((record) => record.offset))
        : (state.buffered[0]?.record.offset ?? state.nextRead);
      if (first === undefined || (state.committed !== undefined && first <= state.committed)) continue;
      state.committed = first;
      offsets.push({ topic: state.topic, partition: state.partition, offset: String(first) });
    }
    const consumer = this.consumer;
    if (offsets.length === 0 || !consumer) return;
    this.commitChain = this.commitChain.then(() =>
      consumer.commitOffsets(offsets).catch((error: unknown) => {
        this.log(`committing offsets failed: ${(error as Error).message}`);
        for (const { topic, partition } of offsets) {
          const state = this.partitions.get(partitionKey({ topic, partition }));
          if (state) state.committed = undefined;
        }
      }),
    );
  }

  private discard(
    records: readonly MskRecord[],
    condition: FailureCondition,
    attempts: number,
    lastOutcome: Outcome | undefined,
  ): void {
    const recordsInfo: Record<string, KafkaRecordsInfo> = {};
    for (const [key, list] of Object.entries(groupByPartition(records))) {
      const first = list[0] as MskRecord;
      const last = list.at(-1) as MskRecord;
      recordsInfo[key] = {
        firstRecordOffset: String(first.offset),
        lastRecordOffset: String(last.offset),
        firstRecordTimestamp: new Date(first.timestamp).toISOString(),
        lastRecordTimestamp: new Date(last.timestamp).toISOString(),
      };
    }
    this.onFailure.discard({
      condition,
      attempts,
      batchSize: records.length,
      lastOutcome,
      payload: this.event(records),
      batchInfo: {
        KafkaBatchInfo: {
          batchSize: records.length,
          eventSourceArn: this.definition.clusterArn,
          bootstrapServers: this.bootstrap,
          payloadSize: Buffer.byteLength(JSON.stringify(this.event(records))),
          recordsInfo,
        },
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.polling = false;
    clearTimeout(this.windowTimer);
    for (const wake of this.sleepers) wake();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => {});
  }
}
