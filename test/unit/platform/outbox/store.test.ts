import '#test/unit/setup-env';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PUBLISHED_RETENTION_SECONDS, UNPUBLISHED_SHARDS } from '#platform/outbox/row';
import { DynamoOutboxStore } from '#platform/outbox/store';
import { outboxRowFor } from '#test/unit/helpers/outbox';

const TABLE = 'orders-test';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const CUTOFF = new Date('2025-03-01T12:10:00.000Z');

const shardOfQuery = (input: QueryCommandInput) => String(input.ExpressionAttributeValues?.[':shard']);

describe('Class: DynamoOutboxStore', () => {
  beforeEach(() => {
    ddb.reset();
  });

  describe('Method: findUnpublished', () => {
    it(`queries all ${UNPUBLISHED_SHARDS} shards of the unpublished index for rows created before the cutoff`, async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [] });
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const rows = await store.findUnpublished(CUTOFF, 500);

      // Assess
      expect(rows).toEqual([]);
      const inputs = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
      expect(inputs).toHaveLength(8);
      expect(inputs.map(shardOfQuery).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
      for (const input of inputs) {
        expect(input).toMatchObject({
          TableName: TABLE,
          IndexName: 'unpublished',
          KeyConditionExpression: 'unpublishedShard = :shard AND createdAt < :cutoff',
          ExpressionAttributeValues: { ':cutoff': '2025-03-01T12:10:00.000Z' },
          Limit: 500,
        });
      }
    });

    it('returns the rows of all shards sorted oldest first', async () => {
      // Prepare
      const byShard: Record<string, ReturnType<typeof outboxRowFor>[]> = {
        '2': [outboxRowFor(30), outboxRowFor(50)],
        '5': [outboxRowFor(10), outboxRowFor(40)],
        '7': [outboxRowFor(20)],
      };
      ddb
        .on(QueryCommand)
        .callsFake((input: QueryCommandInput) => ({ Items: byShard[shardOfQuery(input)] ?? [] }));
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const rows = await store.findUnpublished(CUTOFF, 500);

      // Assess
      expect(rows.map((row) => row.eventId)).toEqual(
        [10, 20, 30, 40, 50].map((index) => outboxRowFor(index).eventId),
      );
    });

    it('orders rows created in the same millisecond by event id', async () => {
      // Prepare
      const later = { ...outboxRowFor(2), createdAt: outboxRowFor(1).createdAt };
      ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
        Items: shardOfQuery(input) === '0' ? [later] : shardOfQuery(input) === '1' ? [outboxRowFor(1)] : [],
      }));
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const rows = await store.findUnpublished(CUTOFF, 10);

      // Assess
      expect(rows.map((row) => row.eventId)).toEqual([outboxRowFor(1).eventId, later.eventId]);
    });

    it('follows the pages of a shard and returns at most the limit, the oldest ones', async () => {
      // Prepare
      ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
        if (shardOfQuery(input) !== '3') return { Items: [] };
        return input.ExclusiveStartKey
          ? { Items: [outboxRowFor(3), outboxRowFor(4)] }
          : { Items: [outboxRowFor(1), outboxRowFor(2)], LastEvaluatedKey: { pk: 'x', sk: 'y' } };
      });
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const rows = await store.findUnpublished(CUTOFF, 3);

      // Assess
      expect(rows.map((row) => row.eventId)).toEqual([1, 2, 3].map((index) => outboxRowFor(index).eventId));
      const shard3 = ddb
        .commandCalls(QueryCommand)
        .map((call) => call.args[0].input)
        .filter((input) => shardOfQuery(input) === '3');
      expect(shard3.map((input) => input.ExclusiveStartKey)).toEqual([undefined, { pk: 'x', sk: 'y' }]);
    });

    it('stops paging a shard once it has the limit', async () => {
      // Prepare
      ddb
        .on(QueryCommand)
        .resolves({ Items: [outboxRowFor(1), outboxRowFor(2)], LastEvaluatedKey: { pk: 'x' } });
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      await store.findUnpublished(CUTOFF, 2);

      // Assess
      expect(ddb.commandCalls(QueryCommand)).toHaveLength(8);
    });
  });

  describe('Method: findUnpublishedPage', () => {
    it('reads one shard from where the last page ended and says where the next one starts', async () => {
      // Prepare
      const after = { unpublishedShard: '2', createdAt: '2025-03-01T12:00:00.001Z', pk: 'a', sk: 'b' };
      const next = { unpublishedShard: '2', createdAt: '2025-03-01T12:00:00.003Z', pk: 'c', sk: 'd' };
      ddb.on(QueryCommand).resolves({ Items: [outboxRowFor(2), outboxRowFor(3)], LastEvaluatedKey: next });
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const page = await store.findUnpublishedPage(2, CUTOFF, 2, after);

      // Assess
      expect(page).toEqual({ rows: [outboxRowFor(2), outboxRowFor(3)], next });
      expect(ddb.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
        expect.objectContaining({
          IndexName: 'unpublished',
          ExpressionAttributeValues: { ':shard': '2', ':cutoff': '2025-03-01T12:10:00.000Z' },
          ExclusiveStartKey: after,
          Limit: 2,
        }),
      ]);
    });

    it('has no next page when the shard has nothing more', async () => {
      // Prepare
      ddb.on(QueryCommand).resolves({ Items: [outboxRowFor(1)] });
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const page = await store.findUnpublishedPage(0, CUTOFF, 500);

      // Assess
      expect(page).toEqual({ rows: [outboxRowFor(1)] });
    });
  });

  describe('Method: quarantine', () => {
    const NOW = new Date('2025-03-01T12:00:05.000Z');

    it('records the reason and takes the row out of the unpublished index, only if it still exists', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolves({});
      const row = outboxRowFor(1);
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      await store.quarantine(row, 'EVENT_NOT_JSON', NOW);

      // Assess
      expect(ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: row.pk, sk: row.sk },
          UpdateExpression: 'SET quarantinedAt = :now, quarantineReason = :reason REMOVE unpublishedShard',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': '2025-03-01T12:00:05.000Z', ':reason': 'EVENT_NOT_JSON' },
        },
      ]);
    });

    it('skips a row that no longer exists', async () => {
      // Prepare
      ddb
        .on(UpdateCommand)
        .rejects(
          new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
        );
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      const act = store.quarantine(outboxRowFor(1), 'UNKNOWN_TOPIC', NOW);

      // Assess
      await expect(act).resolves.toBeUndefined();
    });
  });

  describe('Method: markPublished', () => {
    const NOW = new Date('2025-03-01T12:00:05.000Z');

    it('removes each row from the unpublished index and starts its retention, only if it still exists', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolves({});
      const rows = [outboxRowFor(1), outboxRowFor(2)];
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      await store.markPublished(rows, NOW);

      // Assess
      const inputs = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
      expect(inputs).toEqual(
        rows.map((row) => ({
          TableName: TABLE,
          Key: { pk: row.pk, sk: row.sk },
          UpdateExpression:
            'SET publishedAt = if_not_exists(publishedAt, :now), expiresAt = :exp REMOVE unpublishedShard',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':now': '2025-03-01T12:00:05.000Z',
            ':exp': Math.floor(NOW.getTime() / 1000) + PUBLISHED_RETENTION_SECONDS,
          },
        })),
      );
    });

    it('skips a row that no longer exists', async () => {
      // Prepare
      ddb
        .on(UpdateCommand)
        .rejectsOnce(
          new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
        )
        .resolves({});
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      await store.markPublished([outboxRowFor(1), outboxRowFor(2)], NOW);

      // Assess
      expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    });

    it('fails on any other error', async () => {
      // Prepare
      ddb.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));
      const store = new DynamoOutboxStore(client, TABLE);

      // Act & Assess
      await expect(store.markPublished([outboxRowFor(1)], NOW)).rejects.toThrow(
        'ProvisionedThroughputExceededException',
      );
    });

    it('marks many rows, each exactly once', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolves({});
      const rows = Array.from({ length: 40 }, (_, index) => outboxRowFor(index));
      const store = new DynamoOutboxStore(client, TABLE);

      // Act
      await store.markPublished(rows, NOW);

      // Assess
      const keys = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input.Key?.sk);
      expect(keys.sort()).toEqual(rows.map((row) => row.sk).sort());
    });
  });
});
