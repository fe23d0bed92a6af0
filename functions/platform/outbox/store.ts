import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../powertools';
import {
  type OutboxRow,
  PUBLISHED_RETENTION_SECONDS,
  type StoredOutboxRow,
  UNPUBLISHED_INDEX,
  UNPUBLISHED_SHARDS,
} from './row';

/** Where the next page of one shard of the unpublished index starts (the last row read). */
export type PageCursor = Record<string, unknown>;

export interface UnpublishedPage {
  rows: StoredOutboxRow[];
  /** Undefined when the shard has nothing more before the cutoff. */
  next?: PageCursor;
}

/** Where outbox rows live: marks them published or quarantined, and finds the ones still waiting. */
export interface OutboxStore {
  markPublished(rows: readonly OutboxRow[], now: Date): Promise<void>;
  /** Takes a row that can never be published out of the unpublished index, with the reason. */
  quarantine(row: StoredOutboxRow, reason: string, now: Date): Promise<void>;
  /**
   * Writes rows for events that ride on state items (`embedded`), so that the sweeper finds them in
   * the unpublished index: the relay hands over what it could not publish in time. A row that
   * exists already is left as it is.
   */
  spill(rows: readonly StoredOutboxRow[], now: Date): Promise<void>;
  /** One page of shard `shard` of the unpublished index, oldest first (ties by sort key). */
  findUnpublishedPage(
    shard: number,
    createdBefore: Date,
    limit: number,
    after?: PageCursor,
  ): Promise<UnpublishedPage>;
}

const MARK_CONCURRENCY = 16;

/**
 * Creation order; rows created in the same millisecond by their sort key (the event's ULID), which
 * the index does not order by.
 */
const oldestFirst = (a: StoredOutboxRow, b: StoredOutboxRow) =>
  String(a.createdAt).localeCompare(String(b.createdAt)) || a.sk.localeCompare(b.sk);

export class DynamoOutboxStore implements OutboxStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Removes the rows from the `unpublished` index and starts their retention clock. A row that no
   * longer exists is skipped (the condition keeps a late update from recreating it).
   */
  async markPublished(rows: readonly OutboxRow[], now: Date): Promise<void> {
    // An event published from its state item has no row to mark.
    const stored = rows.filter((row) => !row.embedded);
    await this.forEach(stored, (row) =>
      this.updateExisting(row, {
        UpdateExpression:
          'SET publishedAt = if_not_exists(publishedAt, :now), expiresAt = :exp REMOVE unpublishedShard',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':exp': Math.floor(now.getTime() / 1000) + PUBLISHED_RETENTION_SECONDS,
        },
      }),
    );
  }

  /**
   * Records why the row can never be published and removes it from the `unpublished` index, so that
   * neither the relay nor the sweeper tries it again. The row is kept (no expiry) for investigation:
   * `quarantinedAt` and `quarantineReason` say when and why.
   */
  async quarantine(row: StoredOutboxRow, reason: string, now: Date): Promise<void> {
    if (row.embedded) {
      // No row exists yet: it is written once, quarantined, so it is kept for investigation.
      const { unpublishedShard: _shard, embedded: _embedded, ...fields } = row;
      await this.putNew({ ...fields, quarantinedAt: now.toISOString(), quarantineReason: reason });
      return;
    }
    await this.updateExisting(row, {
      UpdateExpression: 'SET quarantinedAt = :now, quarantineReason = :reason REMOVE unpublishedShard',
      ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason },
    });
  }

  async spill(rows: readonly StoredOutboxRow[], now: Date): Promise<void> {
    await this.forEach(rows, async (row) => {
      const { embedded: _embedded, ...fields } = row;
      await this.putNew({ ...fields, spilledAt: now.toISOString() });
    });
  }

  /** Puts a row unless one with its key exists (a spill or quarantine that ran before). */
  private async putNew(row: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: row,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async updateExisting(
    row: StoredOutboxRow,
    update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: row.pk, sk: row.sk },
          ConditionExpression: 'attribute_exists(pk)',
          ...update,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      logger.warn('outbox row vanished before it was updated', { pk: row.pk, eventId: row.sk });
    }
  }

  private async forEach<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
    const queue = [...items];
    const worker = async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    };
    await Promise.all(Array.from({ length: Math.min(MARK_CONCURRENCY, items.length) }, worker));
  }

  async findUnpublishedPage(
    shard: number,
    createdBefore: Date,
    limit: number,
    after?: PageCursor,
  ): Promise<UnpublishedPage> {
    const rows: StoredOutboxRow[] = [];
    let startKey = after;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: UNPUBLISHED_INDEX,
          KeyConditionExpression: 'unpublishedShard = :shard AND createdAt < :cutoff',
          ExpressionAttributeValues: { ':shard': String(shard), ':cutoff': createdBefore.toISOString() },
          ExclusiveStartKey: startKey,
          Limit: limit - rows.length,
        }),
      );
      rows.push(...((page.Items ?? []) as StoredOutboxRow[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && rows.length < limit);
    rows.sort(oldestFirst);
    return startKey ? { rows, next: startKey } : { rows };
  }

  /** Unpublished rows created before the cutoff, oldest first per aggregate. */
  async findUnpublished(createdBefore: Date, limit: number): Promise<StoredOutboxRow[]> {
    const perShard = await Promise.all(
      Array.from(
        { length: UNPUBLISHED_SHARDS },
        async (_, shard) => (await this.findUnpublishedPage(shard, createdBefore, limit)).rows,
      ),
    );
    return perShard.flat().sort(oldestFirst).slice(0, limit);
  }
}
