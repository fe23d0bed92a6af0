import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { localIdentity } from '#localstack/runtime/identity';
import { Resolver } from '#localstack/runtime/resolve';
import { createTables } from '#localstack/runtime/tables';
import type { StackTemplate } from '#localstack/runtime/template';

const dynamo = mockClient(DynamoDBClient);

const stack: StackTemplate = {
  stackName: 'Shop',
  outputs: {},
  parameters: {},
  resources: {
    OrdersTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'customerId', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byCustomer',
            KeySchema: [
              { AttributeName: 'customerId', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      },
    },
    CountersTable: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      },
    },
  },
};

describe('Function: createTables', () => {
  beforeEach(() => {
    dynamo.reset();
    dynamo.on(CreateTableCommand).resolves({ TableDescription: {} });
  });

  it('warms every table it creates with reads of a key no item has, before it returns', async () => {
    // Prepare
    const resolver = new Resolver([stack], localIdentity);

    // Act
    const tables = await createTables([stack], resolver, 'http://127.0.0.1:1');

    // Assess
    const orders = tables.get('Shop/OrdersTable')?.name as string;
    const counters = tables.get('Shop/CountersTable')?.name as string;
    expect(dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual(
      expect.arrayContaining([
        {
          TableName: orders,
          Key: { pk: { S: 'local-runtime#warm-up' }, sk: { S: 'local-runtime#warm-up' } },
        },
        { TableName: counters, Key: { id: { N: '-1' } } },
      ]),
    );
    const batchReads = dynamo
      .commandCalls(BatchGetItemCommand)
      .map((call) => call.args[0].input.RequestItems);
    expect(batchReads.flatMap((items) => Object.keys(items ?? {})).sort()).toEqual([counters, orders].sort());
    expect(dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        TableName: orders,
        IndexName: 'byCustomer',
        ExpressionAttributeValues: { ':key': { S: 'local-runtime#warm-up' } },
      }),
    ]);
  });

  it('warms the transaction path of every table with a ConditionCheck only, writing nothing', async () => {
    // Prepare
    const resolver = new Resolver([stack], localIdentity);

    // Act
    await createTables([stack], resolver, 'http://127.0.0.1:1');

    // Assess
    const transactions = dynamo.commandCalls(TransactWriteItemsCommand).map((call) => call.args[0].input);
    expect(transactions).toHaveLength(2);
    for (const { TransactItems } of transactions) {
      expect(TransactItems).toEqual([
        { ConditionCheck: expect.objectContaining({ ConditionExpression: 'attribute_not_exists(#key)' }) },
      ]);
    }
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(DeleteItemCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });
});
