import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTION_CONTRACTS } from '#functions/contracts';
import { SERVICE_NAMES } from '#platform/contract';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DASHBOARD = join(ROOT, 'observability/grafana/order-saga.json');
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's syntax for the `datasource` variable
const DATASOURCE = { type: 'cloudwatch', uid: '${datasource}' };

/** Metrics of AWS namespaces the dashboard may query (as the services publish them). */
const AWS_METRICS: Record<string, readonly string[]> = {
  'AWS/ApiGateway': ['Count', '4XXError', '5XXError', 'Latency', 'IntegrationLatency'],
  'AWS/Lambda': [
    'Invocations',
    'Errors',
    'Throttles',
    'Duration',
    'ConcurrentExecutions',
    'IteratorAge',
    'OffsetLag',
  ],
};

interface Target {
  readonly refId: string;
  readonly datasource?: unknown;
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions?: Record<string, string | string[]>;
  readonly metricQueryType?: number;
  readonly metricEditorMode?: number;
  readonly expression?: string;
  readonly sqlExpression?: string;
}

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: unknown;
  readonly targets?: Target[];
  readonly panels?: Panel[];
}

interface Variable {
  readonly type: string;
  readonly name: string;
  readonly query?: unknown;
  readonly datasource?: unknown;
}

interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly panels: Panel[];
  readonly templating: { readonly list: Variable[] };
}

function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every panel, rows and the panels of collapsed rows included. */
function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** The `[namespace, metricName]` pairs of every query: panel targets and variable queries. */
function queriedMetrics(dashboard: Dashboard): [string, string][] {
  const targets = allPanels(dashboard).flatMap((panel) => panel.targets ?? []);
  const variableQueries = dashboard.templating.list.flatMap((variable) =>
    typeof variable.query === 'object' && variable.query !== null ? [variable.query as Target] : [],
  );
  return [...targets, ...variableQueries]
    .filter((query) => query.metricName)
    .map((query) => [query.namespace ?? '', query.metricName ?? '']);
}

/**
 * The business metrics the function contracts declare, each with the services whose dimension it is
 * emitted under: the contract's service, or every service for a function deployed once per service
 * (the outbox relay and sweeper).
 */
function declaredMetrics(): Map<string, Set<string>> {
  const declared = new Map<string, Set<string>>();
  for (const contract of FUNCTION_CONTRACTS) {
    for (const name of Object.keys(contract.metrics)) {
      const services = declared.get(name) ?? new Set<string>();
      for (const service of contract.service ? [contract.service] : SERVICE_NAMES) services.add(service);
      declared.set(name, services);
    }
  }
  return declared;
}

/** Files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => join(dir, file));
}

describe('Dashboard: Grafana', () => {
  it('is a schema 39 dashboard with CloudWatch datasource, region and stage variables', () => {
    // Prepare
    const dashboard = loadDashboard();

    // Act
    const variables = new Map(dashboard.templating.list.map((variable) => [variable.name, variable]));

    // Assess
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe('order-saga');
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'cloudwatch' });
    expect(variables.get('region')).toMatchObject({ type: 'query', query: { queryType: 'regions' } });
    expect(variables.get('stage')).toMatchObject({ type: 'textbox' });
    expect(
      allPanels(dashboard)
        .filter((panel) => panel.type === 'row')
        .map((row) => row.title),
    ).toEqual(['API', 'Saga business metrics', 'Outbox', 'Consumers', 'Lambda']);
  });

  it('queries every panel, target and variable through the datasource variable', () => {
    // Prepare
    const dashboard = loadDashboard();

    // Act
    const panels = allPanels(dashboard).filter((panel) => panel.type !== 'row');
    const queryVariables = dashboard.templating.list.filter((variable) => variable.type === 'query');

    // Assess
    expect(panels.length).toBeGreaterThanOrEqual(20);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(DATASOURCE);
      }
    }
    expect(queryVariables.length).toBeGreaterThan(0);
    for (const variable of queryVariables) {
      expect(variable.datasource, variable.name).toEqual(DATASOURCE);
    }
  });

  it('builds every query in builder mode, so each names its metric instead of hiding it in an expression', () => {
    // Prepare
    const dashboard = loadDashboard();

    // Act
    const targets = allPanels(dashboard).flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel: panel.title, target })),
    );

    // Assess
    for (const { panel, target } of targets) {
      expect(target, `${panel} ${target.refId}`).toMatchObject({ metricQueryType: 0, metricEditorMode: 0 });
      expect(target.expression ?? '', panel).toBe('');
      expect(target.sqlExpression ?? '', panel).toBe('');
      expect(target.namespace, panel).toBeTruthy();
      expect(target.metricName, panel).toBeTruthy();
    }
  });

  it('queries only metrics the function contracts declare or AWS services publish', () => {
    // Prepare
    const declared = declaredMetrics();
    const dashboard = loadDashboard();

    // Act
    const queried = queriedMetrics(dashboard);

    // Assess
    expect([...declared.keys()]).toEqual(
      expect.arrayContaining(['OrdersConfirmed', 'StockReserved', 'NotificationsSent', 'EventsDeadLettered']),
    );
    expect(queried.length).toBeGreaterThan(0);
    for (const [namespace, metricName] of queried) {
      if (namespace === 'OrderSaga') {
        expect(declared.has(metricName), `${metricName} is declared by a function contract`).toBe(true);
      } else {
        expect(AWS_METRICS[namespace] ?? [], `${namespace} ${metricName}`).toContain(metricName);
      }
    }
  });

  it('shows every business metric the function contracts declare', () => {
    // Prepare
    const declared = declaredMetrics();

    // Act
    const shown = new Set(
      queriedMetrics(loadDashboard())
        .filter(([namespace]) => namespace === 'OrderSaga')
        .map(([, metricName]) => metricName),
    );

    // Assess
    expect([...declared.keys()].filter((name) => !shown.has(name))).toEqual([]);
  });

  it('can trust the contracts: no function emits a metric except through metricsOf', () => {
    // Prepare
    const functionsDir = join(ROOT, 'functions');

    // Act
    const emitting = filesUnder(functionsDir)
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => readFileSync(file, 'utf8').includes('.addMetric('))
      .map((file) => file.slice(functionsDir.length + 1));

    // Assess
    expect(emitting).toEqual(['platform/powertools.ts']);
  });

  it('reads each business metric under the service dimension of a service that emits it', () => {
    // Prepare
    const declared = declaredMetrics();
    const targets = allPanels(loadDashboard()).flatMap((panel) => panel.targets ?? []);

    // Act
    const business = targets.filter((target) => target.namespace === 'OrderSaga');

    // Assess
    expect(business.length).toBeGreaterThan(0);
    for (const target of business) {
      const service = String(target.dimensions?.service);
      const emittedBy = declared.get(target.metricName ?? '') ?? new Set<string>();
      expect(Object.keys(target.dimensions ?? {}), target.metricName).toEqual(['service']);
      expect(service === '*' || emittedBy.has(service), `${target.metricName} under ${service}`).toBe(true);
    }
  });

  it('scopes the API panels to the REST API name the CDK app gives', () => {
    // Prepare
    const stack = readFileSync(join(ROOT, 'lib/stacks/orders-stack.ts'), 'utf8');
    const targets = allPanels(loadDashboard()).flatMap((panel) => panel.targets ?? []);

    // Act
    const apiNames = new Set(
      targets
        .filter((target) => target.namespace === 'AWS/ApiGateway')
        .map((target) => String(target.dimensions?.ApiName)),
    );

    // Assess
    expect(apiNames.size).toBe(1);
    for (const apiName of apiNames) {
      expect(apiName).toContain('$stage');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the stack source spells the stage this way
      expect(stack).toContain(`restApiName: \`${apiName.replace('$stage', '${config.stage}')}\``);
    }
  });
});
