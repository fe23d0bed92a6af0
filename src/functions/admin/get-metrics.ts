import { getMetrics } from '../../analytics/metrics-api';
import { AnalyticsStore } from '../../analytics/store';
import { documentClient } from '../../commons/clients';
import { requireEnv } from '../../commons/env';
import { apiHandler, json } from '../../commons/http';

const store = new AnalyticsStore(documentClient, requireEnv('ANALYTICS_TABLE_NAME'));

/** GET /admin/metrics?hours=24 */
export const handler = apiHandler(async (event) => json(200, await getMetrics(store, event, new Date())));
