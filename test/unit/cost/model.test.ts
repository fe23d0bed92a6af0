import { describe, expect, it } from 'vitest';
import type { PerOrder } from '#bench/profile';
import {
  type CostOptions,
  costReport,
  formatCostReport,
  monthlyFloor,
  type Prices,
  variableCosts,
} from '#cost/model';
import type { Inventory } from '#cost/template';

/** Round prices so every expected value below can be checked by hand. */
const prices: Prices = {
  region: 'us-east-1',
  currency: 'USD',
  takenOn: '2026-01-01',
  note: '',
  hoursPerMonth: 730,
  dynamodb: { url: '', writeRequestUnitsPerMillion: 1, readRequestUnitsPerMillion: 0.5 },
  lambda: {
    url: '',
    requestsPerMillion: 0.2,
    gbSecond: { arm64: 0.00001, x86_64: 0.00002 },
    provisionedPollers: { url: '', eventPollerUnitHour: 0.1, pollersPerEventPollerUnit: 10 },
  },
  apiGateway: { url: '', restRequestsPerMillion: 3 },
  stepFunctions: { url: '', standardTransitionsPerThousand: 0.025 },
  mskServerless: {
    url: '',
    clusterHour: 1,
    partitionHour: 0.01,
    dataInPerGb: 0.1,
    dataOutPerGb: 0.05,
    storagePerGbMonth: 0.1,
  },
  cloudwatch: {
    url: '',
    logsIngestionPerGb: 0.5,
    alarmMetricMonth: 0.1,
    compositeAlarmMonth: 0.5,
    dashboardMonth: 3,
  },
  xray: { url: '', tracesRecordedPerMillion: 5 },
  vpc: { url: '', interfaceEndpointAzHour: 0.01, natGatewayUrl: '', natGatewayHour: 0.045 },
  waf: { url: '', webAclMonth: 5, ruleMonth: 1, requestsPerMillion: 0.6 },
  secretsManager: { url: '', secretMonth: 0.4 },
  kms: { url: '', keyMonth: 1 },
};

const options: CostOptions = {
  orders: 1_000_000,
  durationScale: 1,
  xraySampling: 0.1,
  platformLogBytesPerInvocation: 0,
  mskRetentionDays: 30,
  scheduledDurationMs: 100,
};

const emptyInventory = (): Inventory => ({
  functions: [],
  topics: [],
  mskServerlessClusters: 0,
  mskProvisionedClusters: 0,
  provisionedPollerMappings: [],
  schedules: [],
  interfaceEndpoints: [],
  gatewayEndpoints: 0,
  natGateways: 0,
  webAcls: [],
  secrets: 0,
  kmsKeys: 0,
  dashboards: 0,
  alarms: [],
  compositeAlarms: 0,
});

const GB = 1024 ** 3;

/** One order: 10 WRU, 4 RRU, one API call, a 1 GB arm64 function twice at 100 ms, one topic. */
const perOrder = (): PerOrder => ({
  dynamodb: {
    writeUnits: 10,
    readUnits: 4,
    itemWrites: 8,
    itemReads: 4,
    byPurpose: {},
    byTable: {},
    requests: {},
  },
  lambda: {
    invocations: 3,
    byFunction: {
      'Orders-CreateOrder': {
        stack: 'App-Orders',
        logicalId: 'CreateOrder',
        memoryMb: 512,
        invocations: 2,
        scheduledInvocations: 0,
        meanDurationMs: 100,
        logBytes: 0,
      },
      'Orders-Sweeper': {
        stack: 'App-Orders',
        logicalId: 'Sweeper',
        memoryMb: 1024,
        invocations: 1,
        scheduledInvocations: 1,
        meanDurationMs: 500,
        logBytes: 0,
      },
    },
  },
  kafka: {
    messages: 2,
    bytes: GB / 1e6,
    byTopic: { 'orders.events': { messages: 2, bytes: GB / 1e6, consumerGroups: 3 } },
  },
  stepFunctions: { executions: 0.1, transitions: 0.4 },
  apiGateway: { requests: 1 },
  logs: { bytes: GB / 1e6 },
});

const byItem = (items: { item: string; dollars: number }[], fragment: string) =>
  items.find((item) => item.item.includes(fragment))?.dollars;

describe('Function: variableCosts', () => {
  it('prices a million orders from the per-order quantities', () => {
    // Prepare
    const inventory = emptyInventory();
    inventory.mskServerlessClusters = 1;
    // The template says 1024 MB and arm64; the profile's 512 MB is only a fallback.
    inventory.functions.push({
      stack: 'App-Orders',
      logicalId: 'CreateOrder',
      memoryMb: 1024,
      architecture: 'arm64',
      tracing: true,
    });

    // Act
    const items = variableCosts(perOrder(), inventory, prices, options);

    // Assess
    // 10 WRU × 1M = 10M WRU at $1/M = $10; 4 RRU × 1M at $0.5/M = $2.
    expect(byItem(items, 'write request units')).toBeCloseTo(10, 9);
    expect(byItem(items, 'read request units')).toBeCloseTo(2, 9);
    // The scheduled sweeper is left out: 2 requests per order → 2M × $0.2/M = $0.40.
    expect(byItem(items, 'requests')).toBeCloseTo(0.4, 9);
    // 2 × 0.1 s × 1 GB × 1M = 200,000 GB-s × $0.00001 = $2.
    expect(byItem(items, 'duration')).toBeCloseTo(2, 9);
    // 1 API request per order: 1M × $3/M = $3.
    expect(byItem(items, 'REST API')).toBeCloseTo(3, 9);
    // 0.4 transitions × 1M = 400,000 × $0.025/1000 = $10.
    expect(byItem(items, 'transitions')).toBeCloseTo(10, 9);
    // 1 GB in at $0.1; 3 consumer groups read it: 3 GB out at $0.05 = $0.15; 1 GB kept 30 days: $0.1.
    expect(byItem(items, 'data in')).toBeCloseTo(0.1, 9);
    expect(byItem(items, 'data out')).toBeCloseTo(0.15, 9);
    expect(byItem(items, 'storage')).toBeCloseTo(0.1, 9);
    // 1 GB of logs at $0.5.
    expect(byItem(items, 'Logs ingestion')).toBeCloseTo(0.5, 9);
    // 2 traced invocations per order, 10 % sampled: 200,000 traces at $5/M = $1.
    expect(byItem(items, 'traces')).toBeCloseTo(1, 9);
  });

  it('scales durations, adds Lambda log lines per invocation and WAF requests when the template has a web ACL', () => {
    // Prepare
    const inventory = emptyInventory();
    inventory.webAcls.push(3);
    const scaled: CostOptions = { ...options, durationScale: 0.5, platformLogBytesPerInvocation: GB / 2e6 };

    // Act
    const items = variableCosts(perOrder(), inventory, prices, scaled);

    // Assess
    // No template entry: 512 MB from the profile, x86_64: 2 × 0.05 s × 0.5 GB × 1M = 50,000 GB-s × $0.00002 = $1.
    expect(byItem(items, 'duration')).toBeCloseTo(1, 9);
    // 1 GB of function logs + 2 invocations × GB/2M bytes × 1M = 2 GB × $0.5 = $1.
    expect(byItem(items, 'Logs ingestion')).toBeCloseTo(1, 9);
    expect(byItem(items, 'requests inspected')).toBeCloseTo(0.6, 9);
    // Without an MSK Serverless cluster in the template there is no MSK line.
    expect(items.some((item) => item.service === 'MSK Serverless')).toBe(false);
  });
});

describe('Function: monthlyFloor', () => {
  it('prices what runs before the first order', () => {
    // Prepare
    const inventory = emptyInventory();
    inventory.mskServerlessClusters = 1;
    inventory.topics.push({ name: 'a', partitions: 6 }, { name: 'b', partitions: 4 });
    inventory.provisionedPollerMappings.push(
      { minimumPollers: 1 },
      { minimumPollers: 1 },
      { minimumPollers: 12 },
      // A poller group shares its EPUs: 3 × 4 = 12 pollers at 10 per unit hold 2 EPU, not 3.
      { minimumPollers: 4, pollerGroup: 'g' },
      { minimumPollers: 4, pollerGroup: 'g' },
      { minimumPollers: 4, pollerGroup: 'g' },
      { minimumPollers: 1, pollerGroup: 'h' },
    );
    inventory.interfaceEndpoints.push({ service: 'kafka', azs: 2 }, { service: 'sts', azs: 2 });
    inventory.natGateways = 1;
    inventory.webAcls.push(3);
    inventory.secrets = 2;
    inventory.kmsKeys = 1;
    inventory.dashboards = 1;
    inventory.alarms.push(1, 1, 3);
    inventory.compositeAlarms = 2;
    inventory.functions.push({
      stack: 'App-Orders',
      logicalId: 'Sweeper',
      memoryMb: 1024,
      architecture: 'arm64',
      tracing: true,
    });
    inventory.schedules.push({
      stack: 'App-Orders',
      rule: 'Every',
      functionLogicalId: 'Sweeper',
      invocationsPerMonth: 43_800,
    });

    // Act
    const items = monthlyFloor(inventory, prices, perOrder(), options);

    // Assess
    expect(byItem(items, 'cluster-hours')).toBeCloseTo(730, 9);
    // 10 partitions × 730 h × $0.01.
    expect(byItem(items, 'partition-hours')).toBeCloseTo(73, 9);
    // Without a group 1 + 1 + 2 EPU (12 pollers at 10 per unit), group g 2 EPU, group h 1 EPU: 7 × 730 h × $0.1.
    expect(byItem(items, 'provisioned mode')).toBeCloseTo(511, 9);
    // 43,800 requests × $0.2/M; 43,800 × 0.5 s (measured) × 1 GB × $0.00001.
    expect(byItem(items, 'scheduled invocations (1 schedules): requests')).toBeCloseTo(0.00876, 9);
    expect(byItem(items, 'scheduled invocations: duration')).toBeCloseTo(0.219, 9);
    // 4 endpoint-AZs × 730 h × $0.01.
    expect(byItem(items, 'interface endpoints')).toBeCloseTo(29.2, 9);
    expect(byItem(items, 'NAT')).toBeCloseTo(32.85, 9);
    expect(byItem(items, 'web ACLs')).toBeCloseTo(5, 9);
    expect(byItem(items, 'rules')).toBeCloseTo(3, 9);
    expect(byItem(items, 'secrets')).toBeCloseTo(0.8, 9);
    expect(byItem(items, 'keys')).toBeCloseTo(1, 9);
    expect(byItem(items, 'dashboards')).toBeCloseTo(3, 9);
    // 5 alarm metrics × $0.1.
    expect(byItem(items, 'metric alarms')).toBeCloseTo(0.5, 9);
    expect(byItem(items, 'composite')).toBeCloseTo(1, 9);
  });

  it('assumes a duration for a scheduled function the profile did not measure', () => {
    // Prepare
    const inventory = emptyInventory();
    inventory.schedules.push({
      stack: 'S',
      rule: 'R',
      functionLogicalId: 'F',
      invocationsPerMonth: 1_000_000,
    });

    // Act
    const items = monthlyFloor(inventory, prices, undefined, options);

    // Assess
    // No template entry: 128 MB, x86_64; 1M × 0.1 s × 0.125 GB = 12,500 GB-s × $0.00002 = $0.25.
    expect(byItem(items, 'duration')).toBeCloseTo(0.25, 9);
    expect(items).toHaveLength(2);
  });
});

describe('Function: costReport', () => {
  it('totals both tables and the cost of one order', () => {
    // Prepare
    const inventory = emptyInventory();
    inventory.secrets = 1;

    // Act
    const report = costReport({ perOrder: perOrder() }, inventory, prices, options);

    // Assess
    const sum = report.perOrders.reduce((total, item) => total + item.dollars, 0);
    expect(report.totals.perOrders).toBeCloseTo(sum, 9);
    expect(report.totals.perOrder).toBeCloseTo(sum / 1_000_000, 12);
    expect(report.totals.monthlyFloor).toBeCloseTo(0.4, 9);
  });

  it('formats markdown tables with a total row each', () => {
    // Prepare
    const inventory = emptyInventory();
    inventory.secrets = 1;
    const report = costReport({ perOrder: perOrder() }, inventory, prices, options);

    // Act
    const text = formatCostReport(report);

    // Assess
    expect(text).toContain('### Per 1,000,000 orders (us-east-1, on-demand list prices of 2026-01-01)');
    expect(text).toContain(
      '| DynamoDB | on-demand write request units | 10,000,000 WRU | $1 per M | $10.00 |',
    );
    expect(text).toContain('| Secrets Manager | secrets | 1.0 secret-months | $0.4 | $0.400 |');
    expect(text).toContain('| **total** | per month | | | **$0.400** |');
  });
});
