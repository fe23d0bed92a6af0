import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Dashboard,
  DashboardCursorSync,
  type GridPos,
  type Panel,
  type RowPanel,
  type VariableModel,
  type VariableType,
} from '@grafana/schema';
import {
  type CloudWatchMetricsQuery,
  MetricEditorMode,
  MetricQueryType,
} from '@grafana/schema/dist/esm/raw/composable/cloudwatch/dataquery/x/CloudWatchDataQuery_types.gen';
import { describe, expect, it } from 'vitest';

const DASHBOARD = fileURLToPath(new URL('../../../observability/grafana/order-saga.json', import.meta.url));

/** The keys of `T` that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];

/** Whether `Listed` names every key in `All` (checked by the compiler: `true` must be assignable). */
type Covers<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;

/**
 * The required fields of Grafana's published schema types (`@grafana/schema`), each with a check of
 * its value. The `satisfies` clauses and the `Covers` constants make the compiler fail when a schema
 * version adds a required field this test does not check.
 */
const isString = (value: unknown) => typeof value === 'string';
const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

const DASHBOARD_REQUIRED = { schemaVersion: isNumber } satisfies Record<RequiredKeys<Dashboard>, unknown>;
const dashboardCovered: Covers<RequiredKeys<Dashboard>, keyof typeof DASHBOARD_REQUIRED> = true;

const PANEL_REQUIRED = { type: isString } satisfies Record<RequiredKeys<Panel>, unknown>;
const panelCovered: Covers<RequiredKeys<Panel>, keyof typeof PANEL_REQUIRED> = true;

const ROW_REQUIRED = {
  type: (value: unknown) => value === 'row',
  id: isNumber,
  collapsed: (value: unknown) => typeof value === 'boolean',
  panels: Array.isArray,
} satisfies Record<RequiredKeys<RowPanel>, unknown>;
const rowCovered: Covers<RequiredKeys<RowPanel>, keyof typeof ROW_REQUIRED> = true;

const GRID_REQUIRED = { h: isNumber, w: isNumber, x: isNumber, y: isNumber } satisfies Record<
  RequiredKeys<GridPos>,
  unknown
>;
const gridCovered: Covers<RequiredKeys<GridPos>, keyof typeof GRID_REQUIRED> = true;

/** Every variable type of the schema (`VariableType` is a union: listed here, checked both ways). */
const VARIABLE_TYPES = [
  'query',
  'adhoc',
  'groupby',
  'constant',
  'datasource',
  'interval',
  'textbox',
  'custom',
  'system',
  'snapshot',
  'switch',
] as const satisfies readonly VariableType[];
const variableTypesCovered: Covers<VariableType, (typeof VARIABLE_TYPES)[number]> = true;

const VARIABLE_REQUIRED = {
  name: isString,
  type: (value: unknown) => (VARIABLE_TYPES as readonly unknown[]).includes(value),
} satisfies Record<RequiredKeys<VariableModel>, unknown>;
const variableCovered: Covers<RequiredKeys<VariableModel>, keyof typeof VARIABLE_REQUIRED> = true;

const QUERY_REQUIRED = {
  refId: isString,
  id: isString,
  namespace: isString,
  region: isString,
} satisfies Record<RequiredKeys<CloudWatchMetricsQuery>, unknown>;
const queryCovered: Covers<RequiredKeys<CloudWatchMetricsQuery>, keyof typeof QUERY_REQUIRED> = true;

/** The fields of `value` that `required` does not accept, as `path.field` strings. */
function violations(
  path: string,
  value: unknown,
  required: Record<string, (field: unknown) => boolean>,
): string[] {
  if (typeof value !== 'object' || value === null) return [`${path} is not an object`];
  const record = value as Record<string, unknown>;
  return Object.entries(required)
    .filter(([field, accepts]) => !accepts(record[field]))
    .map(([field]) => `${path}.${field} = ${JSON.stringify(record[field])}`);
}

/** The dashboard file, typed as Grafana's schema types describe it once its required fields are checked. */
function loadDashboard(): Dashboard {
  const parsed = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as unknown;
  const problems = violations('dashboard', parsed, DASHBOARD_REQUIRED);
  if (problems.length > 0) throw new Error(`Not a Grafana dashboard: ${problems.join(', ')}`);
  return parsed as Dashboard;
}

const isRow = (panel: Panel | RowPanel): panel is RowPanel => panel.type === 'row';

/** Every panel and row, with the panels of collapsed rows. */
function allPanels(dashboard: Dashboard): (Panel | RowPanel)[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(isRow(panel) ? panel.panels : [])]);
}

describe('Dashboard: Grafana, against the published schema (@grafana/schema)', () => {
  it('checks every field the schema types require (the compiler keeps these lists complete)', () => {
    // Prepare
    const covered = [
      dashboardCovered,
      panelCovered,
      rowCovered,
      gridCovered,
      variableTypesCovered,
      variableCovered,
      queryCovered,
    ];

    // Act
    const all = covered.every(Boolean);

    // Assess
    expect(all).toBe(true);
  });

  it('gives every panel, row, grid position and variable the fields the schema requires', () => {
    // Prepare
    const dashboard = loadDashboard();

    // Act
    const problems = [
      ...allPanels(dashboard).flatMap((panel, index) => {
        const path = `panels[${index}] "${panel.title ?? ''}"`;
        return [
          ...violations(path, panel, isRow(panel) ? ROW_REQUIRED : PANEL_REQUIRED),
          ...violations(`${path}.gridPos`, panel.gridPos, GRID_REQUIRED),
        ];
      }),
      ...(dashboard.templating?.list ?? []).flatMap((variable, index) =>
        violations(`templating.list[${index}]`, variable, VARIABLE_REQUIRED),
      ),
    ];

    // Assess
    expect(allPanels(dashboard).length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  it('uses only values the schema defines for the cursor sync and the CloudWatch query enums', () => {
    // Prepare
    const dashboard = loadDashboard();
    const targets = allPanels(dashboard).flatMap((panel) =>
      isRow(panel) ? [] : ((panel.targets ?? []) as Partial<CloudWatchMetricsQuery>[]),
    );

    // Act
    const problems = targets.flatMap((target, index) => [
      ...violations(`targets[${index}]`, target, QUERY_REQUIRED),
      ...(Object.values(MetricQueryType).includes(target.metricQueryType as MetricQueryType)
        ? []
        : [`targets[${index}].metricQueryType = ${target.metricQueryType}`]),
      ...(Object.values(MetricEditorMode).includes(target.metricEditorMode as MetricEditorMode)
        ? []
        : [`targets[${index}].metricEditorMode = ${target.metricEditorMode}`]),
    ]);

    // Assess
    expect(targets.length).toBeGreaterThan(40);
    expect(problems).toEqual([]);
    expect(Object.values(DashboardCursorSync)).toContain(dashboard.graphTooltip);
  });

  it('lays the panels out on the 24-column grid without overlaps, with unique ids and refIds', () => {
    // Prepare
    const panels = allPanels(loadDashboard());

    // Act
    const cells = new Map<string, string>();
    const overlaps: string[] = [];
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos ?? { x: 0, y: 0, w: 0, h: 0 };
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1)
        for (let column = x; column < x + w; column += 1) {
          const other = cells.get(`${row}/${column}`);
          if (other) overlaps.push(`${panel.title} overlaps ${other}`);
          cells.set(`${row}/${column}`, panel.title ?? '');
        }
    }

    // Assess
    expect([...new Set(overlaps)]).toEqual([]);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      const refIds = isRow(panel) ? [] : (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
    }
  });

  it('has the panels of request and error rate per route, p50/p95/p99 latency and consumer lag per group', () => {
    // Prepare
    const panels = allPanels(loadDashboard()).filter((panel): panel is Panel => !isRow(panel));

    // Act
    const queries = (title: string) =>
      (panels.find((panel) => panel.title === title)?.targets ?? []) as Partial<CloudWatchMetricsQuery>[];

    // Assess
    for (const title of [
      'Requests per route (per minute)',
      'Error rate per route',
      'Latency per route p50, p95, p99',
    ])
      for (const query of queries(title))
        expect(Object.keys(query.dimensions ?? {}).sort(), title).toEqual([
          'ApiName',
          'Method',
          'Resource',
          'Stage',
        ]);
    expect(queries('Error rate per route').map((query) => [query.metricName, query.statistic])).toEqual([
      ['4XXError', 'Average'],
      ['5XXError', 'Average'],
    ]);
    expect(queries('Latency p50, p95, p99').map((query) => query.statistic)).toEqual(['p50', 'p95', 'p99']);
    expect(queries('Latency per route p50, p95, p99').map((query) => query.statistic)).toEqual([
      'p50',
      'p95',
      'p99',
    ]);
    expect(queries('Consumer lag per consumer group')).toEqual([
      expect.objectContaining({
        namespace: 'AWS/Lambda',
        metricName: 'OffsetLag',
        dimensions: { FunctionName: '$function', EventSourceMappingUUID: '*' },
      }),
    ]);
  });
});
