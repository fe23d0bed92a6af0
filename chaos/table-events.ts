import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StoredOutboxRow } from '#platform/outbox/row';
import { eventsOfRecord } from '#platform/outbox/stream';

/** An event a service table emitted, as its relay reads it from the table's stream. */
export type EmittedEvent = StoredOutboxRow & { eventType: string; aggregateId: string; event: string };

const bySequence = (a: StreamRecord, b: StreamRecord) => {
  const [x, y] = [BigInt(a.dynamodb?.SequenceNumber ?? 0), BigInt(b.dynamodb?.SequenceNumber ?? 0)];
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Every event a table emitted within its stream's retention, in stream order: what its relay
 * publishes (the entries state items gained, inserted outbox rows), read from the first record of
 * every shard. The items themselves carry the events of their last write only.
 */
export async function emittedEvents(
  dynamo: DynamoDBClient,
  streams: DynamoDBStreamsClient,
  tableName: string,
): Promise<EmittedEvent[]> {
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) return [];
  const records: StreamRecord[] = [];
  let shardCursor: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: shardCursor }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      let { ShardIterator: iterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        const received = page.Records ?? [];
        records.push(...received);
        // An open shard always hands out a next iterator: an empty page is its end for now.
        iterator = received.length > 0 ? page.NextShardIterator : undefined;
      }
    }
    shardCursor = StreamDescription?.LastEvaluatedShardId;
  } while (shardCursor);
  return records
    .sort(bySequence)
    .flatMap((record) => eventsOfRecord(record as DynamoDBRecord) as EmittedEvent[]);
}
