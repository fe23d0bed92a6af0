import '#test/unit/setup-env';
import { DescribeTableCommand, DynamoDBClient, type TableStatus } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/orders/handlers/health';
import { apiGatewayEvent, lambdaContext } from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const dynamoDb = mockClient(DynamoDBClient);
const event = () => apiGatewayEvent('GET /products', { resource: '/health', path: '/health' });

describe('Handler: health', () => {
  beforeEach(() => {
    dynamoDb.reset();
  });

  it.each<TableStatus>(['ACTIVE', 'UPDATING'])(
    'returns 200 ok when the orders table is %s',
    async (status) => {
      // Prepare
      dynamoDb.on(DescribeTableCommand).resolves({ Table: { TableStatus: status } });

      // Act
      const result = await handler(event(), lambdaContext());

      // Assess
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toEqual({ status: 'ok', checks: { ordersTable: status } });
      expect(dynamoDb.commandCalls(DescribeTableCommand)[0]?.args[0].input).toEqual({
        TableName: TEST_ENV.ordersTable,
      });
    },
  );

  it('returns 503 degraded when the table is not usable', async () => {
    // Prepare
    dynamoDb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'CREATING' } });

    // Act
    const result = await handler(event(), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ status: 'degraded', checks: { ordersTable: 'CREATING' } });
  });

  it('returns 503 degraded without the error when DynamoDB cannot be reached', async () => {
    // Prepare
    dynamoDb.on(DescribeTableCommand).rejects(new Error('connect ECONNREFUSED 127.0.0.1:8000'));

    // Act
    const result = await handler(event(), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toEqual({ status: 'degraded', checks: { ordersTable: 'UNREACHABLE' } });
    expect(result.body).not.toContain('ECONNREFUSED');
  });
});
