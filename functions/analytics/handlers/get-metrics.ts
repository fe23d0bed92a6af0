import { requireAdmin } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { GetMetricsFn } from '../contract';
import { getMetrics } from '../metrics-api';
import { AnalyticsStore } from '../store';

const env = readEnv(GetMetricsFn);
const store = new AnalyticsStore(documentClient, env.ANALYTICS_TABLE_NAME);

/** GET /admin/metrics?hours=24 (admins only) */
export const handler = apiHandler(async (event) => {
  requireAdmin(event);
  return json(200, await getMetrics(store, event, new Date()));
});
