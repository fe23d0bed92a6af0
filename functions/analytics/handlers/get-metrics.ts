import { documentClient } from '#platform/clients';
import { requireEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { getMetrics } from '../metrics-api';
import { AnalyticsStore } from '../store';

const store = new AnalyticsStore(documentClient, requireEnv('ANALYTICS_TABLE_NAME'));

/** GET /admin/metrics?hours=24 */
export const handler = apiHandler(async (event) => json(200, await getMetrics(store, event, new Date())));
