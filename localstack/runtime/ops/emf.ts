/**
 * CloudWatch embedded metric format (EMF): the JSON log lines Powertools Metrics writes, which
 * CloudWatch Logs turns into metrics on AWS. Locally nothing does, so the runtime reads them from the
 * function output itself (`parseEmfLine`) for the operations page.
 */

/** One metric value set of an EMF line: a metric of a namespace, under one dimension set. */
export interface MetricPoint {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** The dimension values of the line for the metric's dimension set, e.g. `{ service: 'orders' }`. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** EMF allows an array of values per metric (up to 100); a single value is one element. */
  readonly values: readonly number[];
  /** Epoch milliseconds of `_aws.Timestamp`. */
  readonly timestamp: number;
}

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The numbers of a metric's member: a finite number, or an array of them (others are ignored). */
function valuesOf(member: unknown): number[] {
  const candidates = Array.isArray(member) ? member : [member];
  return candidates.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
}

/**
 * The metric points of one log line, or none when the line is not an EMF document (any other log
 * line, malformed JSON, a document without `_aws.CloudWatchMetrics`). A metric is reported once per
 * dimension set its directive lists (as CloudWatch does); a dimension set naming a key the line lacks
 * is skipped, as CloudWatch rejects it.
 */
export function parseEmfLine(line: string): MetricPoint[] {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('"_aws"')) return [];
  let document: unknown;
  try {
    document = JSON.parse(line.slice(start));
  } catch {
    return [];
  }
  if (!isRecord(document) || !isRecord(document._aws)) return [];
  const { Timestamp, CloudWatchMetrics } = document._aws;
  if (!Array.isArray(CloudWatchMetrics)) return [];
  const timestamp = typeof Timestamp === 'number' && Number.isFinite(Timestamp) ? Timestamp : Date.now();
  const points: MetricPoint[] = [];
  for (const directive of CloudWatchMetrics as EmfDirective[]) {
    if (!isRecord(directive) || typeof directive.Namespace !== 'string' || !Array.isArray(directive.Metrics))
      continue;
    const dimensionSets = Array.isArray(directive.Dimensions) ? directive.Dimensions : [[]];
    for (const metric of directive.Metrics) {
      if (!isRecord(metric) || typeof metric.Name !== 'string') continue;
      const values = valuesOf(document[metric.Name]);
      if (values.length === 0) continue;
      for (const set of dimensionSets.length > 0 ? dimensionSets : [[]]) {
        if (!Array.isArray(set)) continue;
        const dimensions: Record<string, string> = {};
        let complete = true;
        for (const key of set) {
          const value = typeof key === 'string' ? document[key] : undefined;
          if (typeof value !== 'string') complete = false;
          else dimensions[key] = value;
        }
        if (!complete) continue;
        points.push({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: typeof metric.Unit === 'string' ? metric.Unit : 'None',
          dimensions,
          values,
          timestamp,
        });
      }
    }
  }
  return points;
}
