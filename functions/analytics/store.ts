import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#events';
import { backoff as jitteredBackoff } from '#platform/backoff';
import { cancellationCodes } from '#platform/dynamo';
import { RetryableError } from '#platform/errors';
import { aggregate, counterItemKey, counterNameOf, counterShard, markerKey } from './domain/counters';

/** DynamoDB's limit of items in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;
/** Markers of counted events are kept as long as Kafka may redeliver them. */
export const MARKER_RETENTION_SECONDS = 7 * 24 * 3600;
const MAX_ROUNDS = 6;

/** Counting kept failing (conflicts); the batch is retried by the event source mapping. */
export class CountingConflictError extends RetryableError {
  readonly code = 'COUNTING_CONFLICT';
}

export interface CountOutcome {
  counted: number;
  duplicates: number;
  transactions: number;
}

/**
 * Splits events into chunks whose transaction (one marker per event plus one update per distinct
 * counter key) stays within `maxItems`.
 */
export function chunkEvents(
  events: readonly DomainEvent[],
  maxItems = MAX_TRANSACTION_ITEMS,
): DomainEvent[][] {
  const chunks: DomainEvent[][] = [];
  let current: DomainEvent[] = [];
  const fits = (candidate: DomainEvent[]) => candidate.length + aggregate(candidate).size <= maxItems;
  for (const event of events) {
    const candidate = [...current, event];
    if (current.length > 0 && !fits(candidate)) {
      chunks.push(current);
      current = [event];
    } else {
      current = candidate;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Counters in the analytics table, updated exactly once per event at one write per counter and batch. */
export class AnalyticsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly backoff: (round: number) => Promise<void> = (round) =>
      jitteredBackoff(round + 1, { baseDelayMs: 20 }),
  ) {}

  /**
   * Counts each event exactly once: per chunk, one transaction holds a marker per eventId (which must
   * not exist) and one ADD per counter, on a shard of the counter chosen by `seed` (see
   * `counterShard`; random without one). When markers exist (a redelivery), the transaction is
   * cancelled; the events whose markers exist are dropped and the rest counted again. A transaction
   * cancelled by a conflict is retried on the next shard.
   */
  async count(
    events: readonly DomainEvent[],
    now: Date,
    options: { seed?: string } = {},
  ): Promise<CountOutcome> {
    const seed = options.seed ?? String(Math.random());
    const unique = [...new Map(events.map((event) => [event.eventId, event])).values()];
    const outcome: CountOutcome = { counted: 0, duplicates: events.length - unique.length, transactions: 0 };
    for (const [index, chunk] of chunkEvents(unique).entries()) {
      let pending = chunk;
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_ROUNDS) {
          throw new CountingConflictError(`Counting ${pending.length} events kept conflicting`);
        }
        try {
          outcome.transactions += 1;
          const shard = counterShard(seed, index + round);
          await this.client.send(
            new TransactWriteCommand({ TransactItems: this.transactItems(pending, now, shard) }),
          );
          outcome.counted += pending.length;
          pending = [];
        } catch (error) {
          if (cancellationCodes(error).length === 0) throw error;
          const existing = await this.existingMarkers(pending.map((event) => event.eventId));
          outcome.duplicates += existing.size;
          const remaining = pending.filter((event) => !existing.has(event.eventId));
          if (remaining.length === pending.length) await this.backoff(round);
          pending = remaining;
        }
      }
    }
    return outcome;
  }

  private transactItems(events: readonly DomainEvent[], now: Date, shard: number) {
    const expiresAt = Math.floor(now.getTime() / 1000) + MARKER_RETENTION_SECONDS;
    const markers = events.map((event) => ({
      Put: {
        TableName: this.tableName,
        Item: {
          ...markerKey(event.eventId),
          entity: 'EVENT_MARKER',
          eventType: event.eventType,
          countedAt: now.toISOString(),
          expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
    const counters = [...aggregate(events).values()].map(({ key, count }) => ({
      Update: {
        TableName: this.tableName,
        Key: counterItemKey(key, shard),
        UpdateExpression: 'ADD #count :n SET #entity = :entity, #hour = :hour, #counter = :counter',
        ExpressionAttributeNames: {
          '#count': 'count',
          '#entity': 'entity',
          '#hour': 'hour',
          '#counter': 'counter',
        },
        ExpressionAttributeValues: {
          ':n': count,
          ':entity': 'COUNTER',
          ':hour': key.hour,
          ':counter': key.counter,
        },
      },
    }));
    return [...markers, ...counters];
  }

  private async existingMarkers(eventIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    let keys: Record<string, unknown>[] = eventIds.map(markerKey);
    for (let round = 0; keys.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new CountingConflictError('Markers could not be read');
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'pk' },
          },
        }),
      );
      for (const item of Responses?.[this.tableName] ?? []) {
        found.add(String(item.pk).slice('EVENT#'.length));
      }
      keys = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      if (keys.length > 0) await this.backoff(round);
    }
    return found;
  }

  /** Counters of each of `hours` (`YYYY-MM-DDTHH`), the shards of each counter summed. */
  async hourly(hours: readonly string[]): Promise<{ hour: string; counters: Record<string, number> }[]> {
    return Promise.all(
      hours.map(async (hour) => {
        const counters: Record<string, number> = {};
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': `HOUR#${hour}` },
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          );
          for (const item of page.Items ?? []) {
            const name = counterNameOf(item);
            counters[name] = (counters[name] ?? 0) + Number(item.count ?? 0);
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return { hour, counters };
      }),
    );
  }
}
