import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { badRequest } from '#platform/errors';
import { isValidParam, wholeNumberParam } from '#platform/params';
import { byStatus } from './domain/counters';
import type { AnalyticsStore } from './store';

const DEFAULT_HOURS = 24;
const MAX_HOURS = 168;

/** The query of `GET /admin/metrics`. */
export const MetricsQuerySchema = z.object({
  hours: wholeNumberParam(1, MAX_HOURS)
    .optional()
    .describe(
      `the window: the last 1 to ${MAX_HOURS} UTC hours, the current one included (default ${DEFAULT_HOURS})`,
    ),
});

const HOUR = z.string().describe('the start of a UTC hour, e.g. 2025-03-01T12:00:00Z');
const COUNTERS = z.record(z.string(), z.number().int());

/** The answer of `GET /admin/metrics`. */
export const MetricsSchema = z
  .strictObject({
    hours: z.number().int(),
    from: HOUR.describe('the start of the first hour of the window'),
    byStatus: z
      .strictObject({
        PLACED: z.number().int().describe('orders placed'),
        CONFIRMED: z.number().int().describe('confirmed, not shipped or cancelled since'),
        SHIPPED: z.number().int().describe('shipped, not delivered yet'),
        DELIVERED: z.number().int().describe('delivered'),
        CANCELLED: z.number().int().describe('cancelled, before or after their confirmation'),
        IN_PROGRESS: z.number().int().describe('neither confirmed nor cancelled yet'),
      })
      .describe(
        'orders placed in the window and the status each is in now (an order counts in one status only)',
      ),
    totals: COUNTERS.describe('every counter summed over the window'),
    hourly: z.array(z.strictObject({ hour: HOUR, counters: COUNTERS })),
  })
  .meta({ id: 'Metrics' });

function parseHours(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_HOURS;
  if (!isValidParam(MetricsQuerySchema.shape.hours, raw)) {
    throw badRequest('INVALID_QUERY', `hours must be an integer from 1 to ${MAX_HOURS}`, [
      { path: 'query.hours', message: `received "${raw}"` },
    ]);
  }
  return Number(raw);
}

/** The last `hours` UTC hours up to and including the hour of `now`, oldest first. */
export function hoursUntil(now: Date, hours: number): string[] {
  const current = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours());
  return Array.from({ length: hours }, (_, index) =>
    new Date(current - (hours - 1 - index) * 3_600_000).toISOString().slice(0, 13),
  );
}

/** GET /admin/metrics?hours=24: order counts by status over the window, and every counter per hour. */
export async function getMetrics(
  store: AnalyticsStore,
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>,
  now: Date,
): Promise<z.infer<typeof MetricsSchema>> {
  const hours = parseHours(event.queryStringParameters?.hours);
  const hourly = await store.hourly(hoursUntil(now, hours));
  const totals: Record<string, number> = {};
  for (const { counters } of hourly) {
    for (const [name, count] of Object.entries(counters)) totals[name] = (totals[name] ?? 0) + count;
  }
  return {
    hours,
    from: `${hourly[0]?.hour ?? ''}:00:00Z`,
    byStatus: byStatus(totals),
    totals,
    hourly: hourly.map(({ hour, counters }) => ({ hour: `${hour}:00:00Z`, counters })),
  };
}
