import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../powertools';
import { type OutboxRow, PUBLISHED_RETENTION_SECONDS, UNPUBLISHED_INDEX, UNPUBLISHED_SHARDS } from './row';

/** Where outbox rows live: marks them published and finds the ones still waiting. */
export interface OutboxStore {
  markPublished(rows: readonly OutboxRow[], now: Date): Promise<void>;
  findUnpublished(createdBefore: Date, limit: number): Promise<OutboxRow[]>;
}

const MARK_CONCURRENCY = 16;

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
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        try {
          await this.client.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: { pk: row.pk, sk: row.sk },
              UpdateExpression:
                'SET publishedAt = if_not_exists(publishedAt, :now), expiresAt = :exp REMOVE unpublishedShard',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: {
                ':now': now.toISOString(),
                ':exp': Math.floor(now.getTime() / 1000) + PUBLISHED_RETENTION_SECONDS,
              },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          logger.warn('outbox row vanished before it was marked published', { pk: row.pk, eventId: row.sk });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MARK_CONCURRENCY, rows.length) }, worker));
  }

  /** Unpublished rows created before the cutoff, oldest first per aggregate. */
  async findUnpublished(createdBefore: Date, limit: number): Promise<OutboxRow[]> {
    const perShard = await Promise.all(
      Array.from({ length: UNPUBLISHED_SHARDS }, async (_, shard) => {
        const rows: OutboxRow[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: UNPUBLISHED_INDEX,
              KeyConditionExpression: 'unpublishedShard = :shard AND createdAt < :cutoff',
              ExpressionAttributeValues: { ':shard': String(shard), ':cutoff': createdBefore.toISOString() },
              ExclusiveStartKey: startKey,
              Limit: limit,
            }),
          );
          rows.push(...((page.Items ?? []) as OutboxRow[]));
          startKey = page.LastEvaluatedKey;
        } while (startKey && rows.length < limit);
        return rows;
      }),
    );
    return perShard
      .flat()
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.sk.localeCompare(b.sk))
      .slice(0, limit);
  }
}
