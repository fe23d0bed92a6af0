import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoClientConfig } from '../engines';
import { localIdentity } from './identity';
import type { Resolver } from './resolve';
import { resourcesOfType, type StackTemplate } from './template';

/** A table created in DynamoDB Local, with the ARN of its stream when it has one. */
export interface LocalTable {
  name: string;
  streamArn?: string;
}

/**
 * Creates every `AWS::DynamoDB::Table` of the templates in DynamoDB Local: key schema, attribute
 * definitions, global and local secondary indexes and the stream view type. Billing is always
 * on-demand. Returns the tables by logical id.
 */
export async function createTables(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  dynamoEndpoint: string,
): Promise<Map<string, LocalTable>> {
  const tables = new Map<string, LocalTable>();
  const client = new DynamoDBClient(localDynamoClientConfig(dynamoEndpoint));
  try {
    for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::DynamoDB::Table')) {
      const props = resolver.resolve(stack, resource.Properties ?? {}) as Record<string, unknown>;
      const name = localIdentity(stack, logicalId).ref;
      const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
      const input = {
        TableName: name,
        KeySchema: props.KeySchema,
        AttributeDefinitions: props.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Record<string, unknown>[] | undefined)?.map(
          (gsi) => ({
            IndexName: gsi.IndexName,
            KeySchema: gsi.KeySchema,
            Projection: gsi.Projection,
          }),
        ),
        LocalSecondaryIndexes: props.LocalSecondaryIndexes,
        StreamSpecification: stream?.StreamViewType
          ? { StreamEnabled: true, StreamViewType: stream.StreamViewType }
          : undefined,
      } as CreateTableCommandInput;
      const { TableDescription } = await client.send(new CreateTableCommand(input));
      tables.set(`${stack.stackName}/${logicalId}`, { name, streamArn: TableDescription?.LatestStreamArn });
    }
  } finally {
    client.destroy();
  }
  return tables;
}
