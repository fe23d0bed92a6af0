import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StoredOutboxRow } from '#platform/outbox/row';
import { eventsOfRecord } from '#platform/outbox/stream';

/** An event a service table emitted, as the relay reads it from the stream. */
export type EmittedEvent = StoredOutboxRow & { eventType: string; aggregateId: string; event: string };

/**
 * Every event a table emitted so far, in stream order: what its relay would publish from the
 * table's stream (new and old images), read from the first record of every shard. This is the
 * table's outbox as a whole; the items themselves carry the events of their last write only.
 */
export async function emittedEvents(
  config: DynamoDBClientConfig,
  tableName: string,
): Promise<EmittedEvent[]> {
  const { Table } = await new DynamoDBClient(config).send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${tableName} has no stream`);
  const streams = new DynamoDBStreamsClient(config);
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records: StreamRecord[] = [];
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
      records.push(...(page.Records ?? []));
      // An open shard always hands out a next iterator: an empty page is its end for now.
      iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
    }
  }
  records.sort((a, b) => {
    const [x, y] = [BigInt(a.dynamodb?.SequenceNumber ?? 0), BigInt(b.dynamodb?.SequenceNumber ?? 0)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return records.flatMap((record) => eventsOfRecord(record as DynamoDBRecord) as EmittedEvent[]);
}
