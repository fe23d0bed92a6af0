import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { type EmittedEvent, emittedEvents as readEmittedEvents } from '#chaos/table-events';

export type { EmittedEvent };

/**
 * Every event a table emitted so far, in stream order (see `chaos/table-events`): the table's
 * outbox as a whole, read from its stream.
 */
export async function emittedEvents(
  config: DynamoDBClientConfig,
  tableName: string,
): Promise<EmittedEvent[]> {
  const dynamo = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  try {
    return await readEmittedEvents(dynamo, streams, tableName);
  } finally {
    dynamo.destroy();
    streams.destroy();
  }
}
