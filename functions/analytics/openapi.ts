import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import type * as z from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import { MetricsQuerySchema, MetricsSchema } from './metrics-api';

/** The back office's metrics route in the API's OpenAPI document (see `functions/openapi.ts`). */

const EXAMPLE_METRICS: z.infer<typeof MetricsSchema> = {
  hours: 1,
  from: '2025-03-01T12:00:00Z',
  byStatus: { PLACED: 3, CONFIRMED: 0, SHIPPED: 1, DELIVERED: 0, CANCELLED: 2, IN_PROGRESS: 0 },
  totals: {
    ORDERS_CREATED: 3,
    ORDERS_CONFIRMED: 2,
    ORDERS_CANCELLED: 2,
    ORDERS_CANCELLED_AFTER_CONFIRMATION: 1,
    ORDERS_SHIPPED: 1,
  },
  hourly: [
    {
      hour: '2025-03-01T12:00:00Z',
      counters: {
        ORDERS_CREATED: 3,
        ORDERS_CONFIRMED: 2,
        ORDERS_CANCELLED: 2,
        ORDERS_CANCELLED_AFTER_CONFIRMATION: 1,
        ORDERS_SHIPPED: 1,
      },
    },
  ],
};

export const ANALYTICS_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'get',
    path: '/admin/metrics',
    tags: ['back office'],
    summary: 'Orders by status and event counters by hour (admins group)',
    access: 'admin',
    request: { query: MetricsQuerySchema },
    responses: { 200: jsonResponse('The counters of the window', MetricsSchema, EXAMPLE_METRICS) },
    errors: { 400: ['INVALID_QUERY'] },
  }),
];
