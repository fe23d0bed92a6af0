import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDb } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { logger } from '#platform/powertools';
import { HealthFn } from '../contract';

const ordersTable = readEnv(HealthFn).ORDERS_TABLE_NAME;

/** GET /health: the function runs and its table answers. */
export const handler = apiHandler(async () => {
  try {
    const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: ordersTable }));
    const ok = Table?.TableStatus === 'ACTIVE' || Table?.TableStatus === 'UPDATING';
    return json(ok ? 200 : 503, {
      status: ok ? 'ok' : 'degraded',
      checks: { ordersTable: Table?.TableStatus ?? 'UNKNOWN' },
    });
  } catch (error) {
    logger.warn('health check failed', { error: error as Error });
    return json(503, { status: 'degraded', checks: { ordersTable: 'UNREACHABLE' } });
  }
});
