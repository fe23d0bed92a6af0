import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { matchesAnyFilter } from './filter';
import type { InvokeResult, LocalLambda } from './lambda';
import type { LogSink } from './logs';
import { MappingSwitch } from './mapping-switch';
import {
  type FailureCondition,
  isoSeconds,
  OnFailure,
  type OnFailureDestination,
  type OnFailureRecord,
} from './on-failure';

export interface StreamMappingDefinition {
  logicalId: string;
  /** The mapping's UUID in the local Lambda API. */
  uuid?: string;
  /** `Enabled: false` in the template: the mapping does not poll until enabled. Default true. */
  enabled?: boolean;
  fn: LocalLambda;
  tableName: string;
  streamArn: string;
  batchSize: number;
  maxBatchingWindowMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  bisectOnError: boolean;
  /** -1 retries until the record expires. */
  maxRetryAttempts: number;
  /** -1 means no age limit (the stream's own 24 h retention). */
  maxRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  filters: Record<string, unknown>[];
  /** The time scale the batching window was divided by (reported unscaled by the Lambda API). */
  timeScale?: number;
  /** The on-failure destination's ARN, as the Lambda API reports it. */
  destinationArn?: string;
  onFailure?: OnFailureDestination;
}

export interface MappingOptions {
  pollIntervalMs: number;
  retryBaseDelayMs: number;
}

function toLambdaValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map(toLambdaValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toLambdaValue(v)]),
    );
  }
  return value;
}

/**
 * A DynamoDB stream event source mapping: polls every shard of a table's stream, filters records,
 * batches them, invokes the function and applies the mapping's failure handling (partial batch
 * responses, bisect on error, retry limit, maximum record age, on-failure destination).
 * Records of one shard are processed strictly in order, one batch at a time, as Lambda does.
 * A disabled mapping does not poll; enabling it again goes on after the last record it finished.
 */
export class StreamMapping {
  private running = false;
  private stopped = false;
  private readonly workers = new Map<string, Promise<void>>();
  private discovery: Promise<void> | undefined;
  private readonly finishedShards = new Set<string>();
  /** Per shard, the sequence number of the last record the mapping is done with. */
  private readonly checkpoints = new Map<string, string>();
  private readonly onFailure: OnFailure;
  readonly control: MappingSwitch;
  invocations = 0;

  constructor(
    readonly definition: StreamMappingDefinition,
    private readonly streams: DynamoDBStreamsClient,
    private readonly logs: LogSink,
    private readonly options: MappingOptions,
  ) {
    this.onFailure = new OnFailure(
      {
        logSource: 'stream-mapping',
        logicalId: definition.logicalId,
        functionArn: definition.fn.definition.arn,
      },
      logs,
      definition.onFailure,
    );
    this.control = new MappingSwitch(
      definition.enabled ?? true,
      async () => this.beginPolling(),
      () => this.haltPolling(),
      (error) => logs.write('stream-mapping', `${definition.logicalId}: ${String(error)}`),
    );
  }

  /** Batches the mapping gave up on, as sent to the on-failure destination. */
  get discarded(): readonly OnFailureRecord[] {
    return this.onFailure.sent;
  }

  /** Starts polling, unless the mapping is disabled. */
  start(): void {
    if (this.control.enabled) this.beginPolling();
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
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.haltPolling();
  }

  private beginPolling(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    this.workers.clear();
    this.discovery = this.discover();
  }

  /** Stops polling and waits until every shard worker (and its in-flight invocation) has ended. */
  private async haltPolling(): Promise<void> {
    this.running = false;
    await this.discovery;
    await Promise.all(this.workers.values());
  }

  private async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, until - Date.now())));
    }
  }

  private async discover(): Promise<void> {
    let first = true;
    while (this.running) {
      try {
        let exclusiveStartShardId: string | undefined;
        do {
          const { StreamDescription } = await this.streams.send(
            new DescribeStreamCommand({
              StreamArn: this.definition.streamArn,
              ExclusiveStartShardId: exclusiveStartShardId,
            }),
          );
          for (const shard of StreamDescription?.Shards ?? []) {
            const shardId = shard.ShardId;
            if (!shardId || this.workers.has(shardId) || this.finishedShards.has(shardId)) continue;
            const parent = shard.ParentShardId;
            if (parent && this.workers.has(parent) && !this.finishedShards.has(parent)) continue;
            const position = first && !parent ? this.definition.startingPosition : 'TRIM_HORIZON';
            this.workers.set(shardId, this.consumeShard(shardId, position));
          }
          exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
        } while (exclusiveStartShardId && this.running);
      } catch (error) {
        if (this.running)
          this.logs.write(
            'stream-mapping',
            `${this.definition.logicalId}: describe failed: ${(error as Error).message}`,
          );
      }
      first = false;
      await this.sleep(1_000);
    }
  }

  private async iteratorFor(
    shardId: string,
    position: 'TRIM_HORIZON' | 'LATEST',
    after?: string,
  ): Promise<string | undefined> {
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.definition.streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: position }),
      }),
    );
    return ShardIterator;
  }

  private async consumeShard(shardId: string, position: 'TRIM_HORIZON' | 'LATEST'): Promise<void> {
    let iterator: string | undefined;
    /** Last record read from the shard, to resume from after an iterator error. */
    let lastRead: string | undefined = this.checkpoints.get(shardId);
    try {
      iterator = await this.iteratorFor(shardId, position, lastRead);
    } catch (error) {
      this.logs.write(
        'stream-mapping',
        `${this.definition.logicalId}: shard ${shardId}: ${(error as Error).message}`,
      );
      this.workers.delete(shardId);
      return;
    }
    let buffer: DynamoDBRecord[] = [];
    let bufferSince = 0;
    while (this.running && iterator) {
      let records: StreamRecord[] = [];
      try {
        const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        records = page.Records ?? [];
        iterator = page.NextShardIterator;
        lastRead = records.at(-1)?.dynamodb?.SequenceNumber ?? lastRead;
      } catch (error) {
        if (!this.running) break;
        // Iterators expire, and DynamoDB Local invalidates a TRIM_HORIZON iterator taken on an empty
        // shard: take a fresh one from the last record read, as Lambda's pollers do.
        await this.sleep(this.options.pollIntervalMs);
        try {
          iterator = await this.iteratorFor(
            shardId,
            position === 'LATEST' && !lastRead ? 'LATEST' : 'TRIM_HORIZON',
            lastRead,
          );
        } catch (retryError) {
          this.logs.write(
            'stream-mapping',
            `${this.definition.logicalId}: GetRecords failed: ${(error as Error).message}; ${(retryError as Error).message}`,
          );
        }
        continue;
      }
      for (const record of records) {
        const lambdaRecord = {
          ...(toLambdaValue(record) as DynamoDBRecord),
          eventSourceARN: this.definition.streamArn,
        };
        if (matchesAnyFilter(this.definition.filters, lambdaRecord)) {
          if (buffer.length === 0) bufferSince = Date.now();
          buffer.push(lambdaRecord);
        }
      }
      const windowOpen = Date.now() - bufferSince < this.definition.maxBatchingWindowMs;
      while (buffer.length > 0 && (buffer.length >= this.definition.batchSize || !windowOpen || !iterator)) {
        const batch = buffer.slice(0, this.definition.batchSize);
        buffer = buffer.slice(batch.length);
        if (!(await this.deliver(shardId, batch))) return;
        const last = batch.at(-1)?.dynamodb?.SequenceNumber;
        if (last) this.checkpoints.set(shardId, last);
        if (!this.running) return;
      }
      // Records the filters dropped are done with as well.
      if (buffer.length === 0 && lastRead) this.checkpoints.set(shardId, lastRead);
      if (records.length === 0) await this.sleep(this.options.pollIntervalMs);
    }
    // A closed shard has no next iterator; a worker that stopped polling reads on when resumed.
    if (!iterator) this.finishedShards.add(shardId);
  }

  private ageSeconds(record: DynamoDBRecord): number {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    return created === undefined ? 0 : Date.now() / 1000 - created;
  }

  /**
   * Delivers one batch with the mapping's retry semantics. Resolves true when every record succeeded
   * or was discarded, false when the mapping stopped polling first (the records are read again when
   * it resumes).
   */
  private async deliver(shardId: string, records: DynamoDBRecord[]): Promise<boolean> {
    const pending: DynamoDBRecord[][] = [records];
    let attempts = 0;
    let lastOutcome: 'FunctionError' | 'PartialFailure' | undefined;
    while (pending.length > 0 && this.running) {
      let batch = pending[0] as DynamoDBRecord[];
      const { maxRecordAgeSeconds } = this.definition;
      if (maxRecordAgeSeconds >= 0) {
        // Only the records past the maximum age are dropped; the rest of the batch goes on.
        const expired = batch.filter((record) => this.ageSeconds(record) > maxRecordAgeSeconds);
        if (expired.length > 0) {
          this.discard(shardId, expired, 'RecordAgeExceeded', attempts, lastOutcome);
          batch = batch.filter((record) => !expired.includes(record));
          if (batch.length === 0) {
            pending.shift();
            attempts = 0;
            lastOutcome = undefined;
            continue;
          }
          pending[0] = batch;
        }
      }
      this.invocations++;
      const result = await this.definition.fn.invoke({ Records: batch }).catch(
        (error: unknown): InvokeResult => ({
          ok: false,
          error: { errorType: (error as Error).name ?? 'Error', errorMessage: (error as Error).message },
        }),
      );
      let failedFrom: number | undefined;
      if (result.ok) {
        failedFrom = this.definition.reportBatchItemFailures
          ? this.firstFailure(batch, result.payload)
          : undefined;
        if (failedFrom === undefined) {
          pending.shift();
          attempts = 0;
          lastOutcome = undefined;
          continue;
        }
      }
      attempts++;
      lastOutcome = result.ok ? 'PartialFailure' : 'FunctionError';
      if (this.definition.maxRetryAttempts >= 0 && attempts > this.definition.maxRetryAttempts) {
        this.discard(
          shardId,
          failedFrom === undefined ? batch : batch.slice(failedFrom),
          'RetryAttemptsExhausted',
          attempts,
          lastOutcome,
        );
        pending.shift();
        attempts = 0;
        lastOutcome = undefined;
        continue;
      }
      if (failedFrom !== undefined) {
        pending[0] = batch.slice(failedFrom);
      } else if (this.definition.bisectOnError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        pending.splice(0, 1, batch.slice(0, half), batch.slice(half));
      }
      const delay = Math.min(this.options.retryBaseDelayMs * 2 ** Math.min(attempts - 1, 6), 5_000);
      await this.sleep(delay);
    }
    return pending.length === 0;
  }

  /** Index of the first reported failure; a malformed report fails the whole batch, as in Lambda. */
  private firstFailure(batch: DynamoDBRecord[], payload: unknown): number | undefined {
    const failures = (payload as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)
      ?.batchItemFailures;
    if (!Array.isArray(failures) || failures.length === 0) return undefined;
    let first = batch.length;
    for (const failure of failures) {
      const index = batch.findIndex((record) => record.dynamodb?.SequenceNumber === failure.itemIdentifier);
      if (index < 0) return 0;
      first = Math.min(first, index);
    }
    return first;
  }

  private discard(
    shardId: string,
    batch: DynamoDBRecord[],
    condition: FailureCondition,
    attempts: number,
    lastOutcome: 'FunctionError' | 'PartialFailure' | undefined,
  ): void {
    const first = batch[0]?.dynamodb;
    const last = batch[batch.length - 1]?.dynamodb;
    this.onFailure.discard({
      condition,
      attempts,
      batchSize: batch.length,
      lastOutcome,
      batchInfo: {
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: first?.SequenceNumber,
          endSequenceNumber: last?.SequenceNumber,
          approximateArrivalOfFirstRecord: isoSeconds(first?.ApproximateCreationDateTime),
          approximateArrivalOfLastRecord: isoSeconds(last?.ApproximateCreationDateTime),
          batchSize: batch.length,
          streamArn: this.definition.streamArn,
        },
      },
    });
  }
}
