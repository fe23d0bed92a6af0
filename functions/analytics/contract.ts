import { EVENT_TYPES } from '#events';
import { CONSUMER_METRICS } from '#platform/consumer/contract';
import { defineFunction } from '#platform/contract';

/** Analytics: it writes the `analytics` table (counters by hour, per-event markers). */

export const AnalyticsConsumerFn = defineFunction({
  name: 'consumer',
  service: 'analytics',
  entry: 'analytics/handlers/consumer.ts',
  trigger: 'MSK: every topic (every event type)',
  description: 'Counts every event by counter and hour, exactly once through per-event markers',
  consumes: EVENT_TYPES,
  // Exactly-once comes from the markers in the counting transaction, not from per-record idempotency.
  tables: { ANALYTICS_TABLE_NAME: 'readWrite', DEAD_LETTER_TABLE_NAME: 'named' },
  metrics: CONSUMER_METRICS,
});

export const GetMetricsFn = defineFunction({
  name: 'get-metrics',
  service: 'analytics',
  entry: 'analytics/handlers/get-metrics.ts',
  trigger: 'GET /admin/metrics?hours=',
  description: 'Serves the counters by hour',
  tables: { ANALYTICS_TABLE_NAME: 'read' },
  metrics: {},
});
