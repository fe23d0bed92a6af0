import type { APIGatewayProxyEvent } from 'aws-lambda';
import { badRequest } from '#platform/errors';
import { byStatus } from './domain/counters';
import type { AnalyticsStore } from './store';

const DEFAULT_HOURS = 24;
const MAX_HOURS = 168;

function parseHours(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_HOURS;
  const hours = Number(raw);
  if (!/^\d+$/.test(raw) || hours < 1 || hours > MAX_HOURS) {
    throw badRequest('INVALID_QUERY', `hours must be an integer from 1 to ${MAX_HOURS}`, [
      { path: 'query.hours', message: `received "${raw}"` },
    ]);
  }
  return hours;
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
) {
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
