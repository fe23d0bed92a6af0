import {
  type AttributeValue,
  BatchGetItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
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
 * on-demand. Then warms each table (`warmTable`), so the functions' first requests do not pay for
 * DynamoDB Local's first request on it. Returns the tables by logical id.
 */
export async function createTables(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  dynamoEndpoint: string,
): Promise<Map<string, LocalTable>> {
  const tables = new Map<string, LocalTable>();
  const created: CreateTableCommandInput[] = [];
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
      created.push(input);
    }
    await Promise.all(created.map((input) => warmTable(client, input)));
  } finally {
    client.destroy();
  }
  return tables;
}

/** A key of `keySchema` that no item of the project has (typed from the attribute definitions). */
function sentinelKey(input: CreateTableCommandInput, keySchema = input.KeySchema ?? []) {
  const types = new Map((input.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const key: Record<string, AttributeValue> = {};
  for (const { AttributeName } of keySchema) {
    if (!AttributeName) continue;
    const type = types.get(AttributeName);
    key[AttributeName] =
      type === 'N'
        ? { N: '-1' }
        : type === 'B'
          ? { B: Buffer.from('local-runtime-warm-up') }
          : { S: 'local-runtime#warm-up' };
  }
  return key;
}

/**
 * Warms one table of DynamoDB Local (the runtime's own requests, not billed to any function): the
 * first read, transaction and index query on a table are far slower than the next ones (the JVM's
 * code paths and the table's storage are cold). Writes nothing: a GetItem, a BatchGetItem and a
 * ConditionCheck of a key no item has, and a Query of each global secondary index for a key no item
 * has.
 */
export async function warmTable(
  client: Pick<DynamoDBClient, 'send'>,
  input: CreateTableCommandInput,
): Promise<void> {
  const TableName = input.TableName;
  const key = sentinelKey(input);
  const [hash] = input.KeySchema ?? [];
  if (!TableName || !hash?.AttributeName) return;
  await client.send(new GetItemCommand({ TableName, Key: key }));
  await client.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key] } } }));
  await client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        {
          ConditionCheck: {
            TableName,
            Key: key,
            ConditionExpression: 'attribute_not_exists(#key)',
            ExpressionAttributeNames: { '#key': hash.AttributeName },
          },
        },
      ],
    }),
  );
  for (const index of input.GlobalSecondaryIndexes ?? []) {
    const [indexHash] = index.KeySchema ?? [];
    if (!indexHash?.AttributeName) continue;
    const indexKey = sentinelKey(input, [indexHash]);
    await client.send(
      new QueryCommand({
        TableName,
        IndexName: index.IndexName,
        KeyConditionExpression: '#key = :key',
        ExpressionAttributeNames: { '#key': indexHash.AttributeName },
        ExpressionAttributeValues: { ':key': indexKey[indexHash.AttributeName] as AttributeValue },
        Limit: 1,
      }),
    );
  }
}
