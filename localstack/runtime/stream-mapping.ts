import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { matchesAnyFilter } from './filter';
import type { LocalLambda } from './lambda';
import type { LogSink } from './logs';
import {
  type FailureCondition,
  OnFailure,
  type OnFailureDestination,
  type OnFailureRecord,
} from './on-failure';

export interface StreamMappingDefinition {
  logicalId: string;
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
 */
export class StreamMapping {
  private running = false;
  private readonly workers = new Map<string, Promise<void>>();
  private discovery: Promise<void> | undefined;
  private readonly finishedShards = new Set<string>();
  private readonly onFailure: OnFailure;
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
  }

  /** Batches the mapping gave up on, as sent to the on-failure destination. */
  get discarded(): readonly OnFailureRecord[] {
    return this.onFailure.sent;
  }

  start(): void {
    this.running = true;
    this.discovery = this.discover();
  }

  async stop(): Promise<void> {
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
            if (!shardId || this.workers.has(shardId)) continue;
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
    let lastRead: string | undefined;
    try {
      iterator = await this.iteratorFor(shardId, position);
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
        await this.deliver(shardId, batch);
        if (!this.running) return;
      }
      if (records.length === 0) await this.sleep(this.options.pollIntervalMs);
    }
    this.finishedShards.add(shardId);
  }

  private ageSeconds(record: DynamoDBRecord): number {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    return created === undefined ? 0 : Date.now() / 1000 - created;
  }

  /** Delivers one batch with the mapping's retry semantics; returns when it succeeded or was discarded. */
  private async deliver(shardId: string, records: DynamoDBRecord[]): Promise<void> {
    const pending: DynamoDBRecord[][] = [records];
    let attempts = 0;
    while (pending.length > 0 && this.running) {
      const batch = pending[0] as DynamoDBRecord[];
      const { maxRecordAgeSeconds } = this.definition;
      const expired =
        maxRecordAgeSeconds >= 0 && batch.some((record) => this.ageSeconds(record) > maxRecordAgeSeconds);
      if (expired) {
        this.discard(shardId, batch, 'RecordAgeExceeded', attempts);
        pending.shift();
        attempts = 0;
        continue;
      }
      this.invocations++;
      const result = await this.definition.fn.invoke({ Records: batch });
      let failedFrom: number | undefined;
      if (result.ok) {
        failedFrom = this.definition.reportBatchItemFailures
          ? this.firstFailure(batch, result.payload)
          : undefined;
        if (failedFrom === undefined) {
          pending.shift();
          attempts = 0;
          continue;
        }
      }
      attempts++;
      if (this.definition.maxRetryAttempts >= 0 && attempts > this.definition.maxRetryAttempts) {
        this.discard(
          shardId,
          failedFrom === undefined ? batch : batch.slice(failedFrom),
          'RetryAttemptsExhausted',
          attempts,
        );
        pending.shift();
        attempts = 0;
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
  ): void {
    const first = batch[0]?.dynamodb;
    const last = batch[batch.length - 1]?.dynamodb;
    this.onFailure.discard({
      condition,
      attempts,
      batchSize: batch.length,
      batchInfo: {
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: first?.SequenceNumber,
          endSequenceNumber: last?.SequenceNumber,
          approximateArrivalOfFirstRecord: first?.ApproximateCreationDateTime,
          approximateArrivalOfLastRecord: last?.ApproximateCreationDateTime,
          batchSize: batch.length,
          streamArn: this.definition.streamArn,
        },
      },
    });
  }
}
