import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDb } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { logger } from '#platform/powertools';
import { HealthFn } from '../contract';
import type { HealthReport } from '../openapi';

const ordersTable = readEnv(HealthFn).ORDERS_TABLE_NAME;

/** GET /health: the function runs and its table answers. */
export const handler = apiHandler(async () => {
  try {
    const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: ordersTable }));
    const ok = Table?.TableStatus === 'ACTIVE' || Table?.TableStatus === 'UPDATING';
    const report: HealthReport = {
      status: ok ? 'ok' : 'degraded',
      checks: { ordersTable: Table?.TableStatus ?? 'UNKNOWN' },
    };
    return json(ok ? 200 : 503, report);
  } catch (error) {
    logger.warn('health check failed', { error: error as Error });
    const report: HealthReport = { status: 'degraded', checks: { ordersTable: 'UNREACHABLE' } };
    return json(503, report);
  }
});
