import type { MetricPoint } from './emf';
import { percentile } from './stats';

/** A statistic of a metric over a window, as CloudWatch names them. */
export type Statistic = 'Sum' | 'Maximum' | 'SampleCount' | 'p50' | 'p95' | 'p99';

interface Sample {
  readonly t: number;
  readonly v: number;
}

export interface MetricStoreOptions {
  /** How long values are kept; older ones are dropped as new ones arrive. Default 3 hours. */
  retentionMs?: number;
  /** At most this many values per series (the oldest go first). Default 20 000. */
  maxSamplesPerSeries?: number;
}

/** A metric of a namespace, narrowed to the series whose dimensions include all of `dimensions`. */
export interface MetricQuery {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions?: Readonly<Record<string, string>>;
}

const seriesKey = (namespace: string, name: string, dimensions: Readonly<Record<string, string>>) =>
  `${namespace}\u0000${name}\u0000${JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)))}`;

/** The statistic of `values`; null when there are none (0 for Sum and SampleCount). */
export function statistic(values: readonly number[], stat: Statistic): number | null {
  switch (stat) {
    case 'Sum':
      return values.reduce((sum, value) => sum + value, 0);
    case 'SampleCount':
      return values.length;
    case 'Maximum':
      return values.length === 0 ? null : values.reduce((max, value) => Math.max(max, value), -Infinity);
    case 'p50':
      return percentile(values, 50);
    case 'p95':
      return percentile(values, 95);
    case 'p99':
      return percentile(values, 99);
  }
}

/**
 * The metrics the functions emitted, in memory: one series per namespace, metric name and dimension
 * values (as CloudWatch keys them), each a bounded list of timestamped values, queried with
 * CloudWatch's statistics over a window.
 */
export class MetricStore {
  private readonly series = new Map<
    string,
    { namespace: string; name: string; dimensions: Readonly<Record<string, string>>; samples: Sample[] }
  >();
  private readonly retentionMs: number;
  private readonly maxSamples: number;

  constructor(options: MetricStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 3 * 3600_000;
    this.maxSamples = options.maxSamplesPerSeries ?? 20_000;
  }

  add(points: readonly MetricPoint[]): void {
    for (const point of points) {
      const key = seriesKey(point.namespace, point.name, point.dimensions);
      let entry = this.series.get(key);
      if (!entry) {
        entry = { namespace: point.namespace, name: point.name, dimensions: point.dimensions, samples: [] };
        this.series.set(key, entry);
      }
      for (const value of point.values) entry.samples.push({ t: point.timestamp, v: value });
      const oldest = point.timestamp - this.retentionMs;
      let drop = Math.max(0, entry.samples.length - this.maxSamples);
      while (drop < entry.samples.length && (entry.samples[drop]?.t ?? oldest) < oldest) drop += 1;
      if (drop > 0) entry.samples.splice(0, drop);
    }
  }

  /** The values of every series matching `query`, from `since` (epoch ms, inclusive) until `until` (exclusive). */
  values(query: MetricQuery, since = 0, until = Number.POSITIVE_INFINITY): number[] {
    const values: number[] = [];
    for (const entry of this.series.values()) {
      if (entry.namespace !== query.namespace || entry.name !== query.name) continue;
      if (!Object.entries(query.dimensions ?? {}).every(([key, value]) => entry.dimensions[key] === value))
        continue;
      for (const sample of entry.samples) if (sample.t >= since && sample.t < until) values.push(sample.v);
    }
    return values;
  }

  /** `stat` of the matching values since `since`. */
  get(query: MetricQuery, stat: Statistic, since = 0): number | null {
    return statistic(this.values(query, since), stat);
  }

  /**
   * `stat` per period: `periods` consecutive windows of `periodMs`, the last one ending at `now`,
   * oldest first (null where a percentile or maximum has no value).
   */
  timeline(
    query: MetricQuery,
    stat: Statistic,
    options: { now: number; periodMs: number; periods: number },
  ): (number | null)[] {
    const { now, periodMs, periods } = options;
    const first = now - periods * periodMs;
    const buckets: number[][] = Array.from({ length: periods }, () => []);
    for (const entry of this.series.values()) {
      if (entry.namespace !== query.namespace || entry.name !== query.name) continue;
      if (!Object.entries(query.dimensions ?? {}).every(([key, value]) => entry.dimensions[key] === value))
        continue;
      for (const sample of entry.samples) {
        if (sample.t < first || sample.t >= now) continue;
        buckets[Math.floor((sample.t - first) / periodMs)]?.push(sample.v);
      }
    }
    return buckets.map((values) => statistic(values, stat));
  }

  /** The names of the metrics seen in `namespace`, each with the values of dimension `key` seen with it. */
  names(namespace: string, key: string): Map<string, Set<string>> {
    const names = new Map<string, Set<string>>();
    for (const entry of this.series.values()) {
      if (entry.namespace !== namespace) continue;
      const values = names.get(entry.name) ?? new Set<string>();
      const value = entry.dimensions[key];
      if (value !== undefined) values.add(value);
      names.set(entry.name, values);
    }
    return names;
  }
}
