/**
 * Dollars per million orders and the fixed monthly floor: a bench profile (what one order uses) times
 * the prices of `cost/prices.json`, with the deployed resources read from the synthesized template.
 */
import type { BenchReport, PerOrder } from '../bench/profile';
import type { Inventory } from './template';

export interface Prices {
  region: string;
  currency: string;
  takenOn: string;
  note: string;
  hoursPerMonth: number;
  dynamodb: { url: string; writeRequestUnitsPerMillion: number; readRequestUnitsPerMillion: number };
  lambda: {
    url: string;
    requestsPerMillion: number;
    gbSecond: { arm64: number; x86_64: number };
    provisionedPollers: { url: string; eventPollerUnitHour: number; pollersPerEventPollerUnit: number };
  };
  apiGateway: { url: string; restRequestsPerMillion: number };
  stepFunctions: { url: string; standardTransitionsPerThousand: number };
  mskServerless: {
    url: string;
    clusterHour: number;
    partitionHour: number;
    dataInPerGb: number;
    dataOutPerGb: number;
    storagePerGbMonth: number;
  };
  cloudwatch: {
    url: string;
    logsIngestionPerGb: number;
    alarmMetricMonth: number;
    compositeAlarmMonth: number;
    dashboardMonth: number;
  };
  xray: { url: string; tracesRecordedPerMillion: number };
  vpc: { url: string; interfaceEndpointAzHour: number; natGatewayUrl: string; natGatewayHour: number };
  waf: { url: string; webAclMonth: number; ruleMonth: number; requestsPerMillion: number };
  secretsManager: { url: string; secretMonth: number };
  kms: { url: string; keyMonth: number };
}

/** Assumptions the profile cannot give; each has a command-line flag. */
export interface CostOptions {
  /** Orders the variable costs are computed for. */
  orders: number;
  /** Factor applied to local durations (they overstate AWS's: a shared 2-core machine, no warm pool). */
  durationScale: number;
  /** Share of invocations whose trace X-Ray records (the default sampling rule keeps about 5 %). */
  xraySampling: number;
  /** Bytes Lambda itself logs per invocation (START, END and REPORT lines) on top of the function's. */
  platformLogBytesPerInvocation: number;
  /** Days Kafka keeps messages (MSK Serverless storage). */
  mskRetentionDays: number;
  /** Mean duration assumed for a scheduled function the profile has no measurement of, milliseconds. */
  scheduledDurationMs: number;
}

export const DEFAULT_OPTIONS: CostOptions = {
  orders: 1_000_000,
  durationScale: 1,
  xraySampling: 0.05,
  platformLogBytesPerInvocation: 300,
  mskRetentionDays: 7,
  scheduledDurationMs: 100,
};

export interface LineItem {
  service: string;
  item: string;
  /** The quantity priced, in `unit`. */
  quantity: number;
  unit: string;
  /** Price per `unit`. */
  unitPrice: number;
  dollars: number;
}

export interface CostReport {
  orders: number;
  perOrders: LineItem[];
  monthlyFloor: LineItem[];
  totals: { perOrders: number; monthlyFloor: number; perOrder: number };
  pricesTakenOn: string;
  region: string;
  options: CostOptions;
}

const GB = 1024 ** 3;

const line = (
  service: string,
  item: string,
  quantity: number,
  unit: string,
  unitPrice: number,
): LineItem => ({
  service,
  item,
  quantity,
  unit,
  unitPrice,
  dollars: quantity * unitPrice,
});

/** The template's function for a profiled one: same stack and logical id. */
function functionSpec(inventory: Inventory, stack: string, logicalId: string) {
  return inventory.functions.find((fn) => fn.stack === stack && fn.logicalId === logicalId);
}

/** Lambda invocations, GB-seconds and traced invocations per order, scheduled invocations left out. */
export function lambdaPerOrder(
  perOrder: PerOrder,
  inventory: Inventory,
  prices: Prices,
  durationScale: number,
): { invocations: number; gbSeconds: number; computeDollars: number; tracedInvocations: number } {
  let invocations = 0;
  let gbSeconds = 0;
  let computeDollars = 0;
  let tracedInvocations = 0;
  for (const fn of Object.values(perOrder.lambda.byFunction)) {
    const count = Math.max(0, fn.invocations - fn.scheduledInvocations);
    const spec = functionSpec(inventory, fn.stack, fn.logicalId);
    const memoryGb = (spec?.memoryMb ?? fn.memoryMb) / 1024;
    const seconds = (fn.meanDurationMs * durationScale) / 1000;
    invocations += count;
    gbSeconds += count * seconds * memoryGb;
    computeDollars += count * seconds * memoryGb * prices.lambda.gbSecond[spec?.architecture ?? 'x86_64'];
    if (spec?.tracing ?? true) tracedInvocations += count;
  }
  return { invocations, gbSeconds, computeDollars, tracedInvocations };
}

/** What `orders` orders cost: one line per billed dimension. */
export function variableCosts(
  perOrder: PerOrder,
  inventory: Inventory,
  prices: Prices,
  options: CostOptions,
): LineItem[] {
  const n = options.orders;
  const lambda = lambdaPerOrder(perOrder, inventory, prices, options.durationScale);
  const topics = Object.values(perOrder.kafka.byTopic);
  const bytesIn = topics.reduce((sum, topic) => sum + topic.bytes, 0);
  const bytesOut = topics.reduce((sum, topic) => sum + topic.bytes * topic.consumerGroups, 0);
  const logBytes = perOrder.logs.bytes + lambda.invocations * options.platformLogBytesPerInvocation;
  const items = [
    line(
      'DynamoDB',
      'on-demand write request units',
      perOrder.dynamodb.writeUnits * n,
      'WRU',
      prices.dynamodb.writeRequestUnitsPerMillion / 1e6,
    ),
    line(
      'DynamoDB',
      'on-demand read request units',
      perOrder.dynamodb.readUnits * n,
      'RRU',
      prices.dynamodb.readRequestUnitsPerMillion / 1e6,
    ),
    line('Lambda', 'requests', lambda.invocations * n, 'requests', prices.lambda.requestsPerMillion / 1e6),
  ];
  // Duration is priced per function (architecture); the line shows GB-seconds and their mean price.
  const gbSeconds = lambda.gbSeconds * n;
  items.push({
    service: 'Lambda',
    item: `duration (local × ${options.durationScale})`,
    quantity: gbSeconds,
    unit: 'GB-s',
    unitPrice: gbSeconds === 0 ? 0 : (lambda.computeDollars * n) / gbSeconds,
    dollars: lambda.computeDollars * n,
  });
  items.push(
    line(
      'API Gateway',
      'REST API requests',
      perOrder.apiGateway.requests * n,
      'requests',
      prices.apiGateway.restRequestsPerMillion / 1e6,
    ),
    line(
      'Step Functions',
      'standard state transitions',
      perOrder.stepFunctions.transitions * n,
      'transitions',
      prices.stepFunctions.standardTransitionsPerThousand / 1000,
    ),
  );
  if (inventory.mskServerlessClusters > 0) {
    items.push(
      line('MSK Serverless', 'data in', (bytesIn * n) / GB, 'GB', prices.mskServerless.dataInPerGb),
      line('MSK Serverless', 'data out', (bytesOut * n) / GB, 'GB', prices.mskServerless.dataOutPerGb),
      line(
        'MSK Serverless',
        `storage (${options.mskRetentionDays} days retained, if in one month)`,
        ((bytesIn * n) / GB) * (options.mskRetentionDays / 30),
        'GB-month',
        prices.mskServerless.storagePerGbMonth,
      ),
    );
  }
  items.push(
    line('CloudWatch', 'Logs ingestion', (logBytes * n) / GB, 'GB', prices.cloudwatch.logsIngestionPerGb),
    line(
      'X-Ray',
      `traces recorded (${(options.xraySampling * 100).toFixed(0)} % sampled)`,
      lambda.tracedInvocations * options.xraySampling * n,
      'traces',
      prices.xray.tracesRecordedPerMillion / 1e6,
    ),
  );
  if (inventory.webAcls.length > 0) {
    items.push(
      line(
        'WAF',
        'requests inspected',
        perOrder.apiGateway.requests * n,
        'requests',
        prices.waf.requestsPerMillion / 1e6,
      ),
    );
  }
  return items;
}

/** What the deployment costs per month before the first order. */
export function monthlyFloor(
  inventory: Inventory,
  prices: Prices,
  perOrder: PerOrder | undefined,
  options: CostOptions,
): LineItem[] {
  const hours = prices.hoursPerMonth;
  const items: LineItem[] = [];
  const partitions = inventory.topics.reduce((sum, topic) => sum + topic.partitions, 0);
  if (inventory.mskServerlessClusters > 0) {
    items.push(
      line(
        'MSK Serverless',
        `cluster-hours (${inventory.mskServerlessClusters} cluster)`,
        inventory.mskServerlessClusters * hours,
        'cluster-hours',
        prices.mskServerless.clusterHour,
      ),
      line(
        'MSK Serverless',
        `partition-hours (${inventory.topics.length} topics, ${partitions} partitions)`,
        partitions * hours,
        'partition-hours',
        prices.mskServerless.partitionHour,
      ),
    );
  }
  if (inventory.provisionedPollerMappings.length > 0) {
    const perUnit = prices.lambda.provisionedPollers.pollersPerEventPollerUnit;
    const unitsFor = (pollers: number) => Math.max(1, Math.ceil(pollers / perUnit));
    // A mapping of its own holds at least one EPU; a poller group's mappings share theirs.
    const grouped = new Map<string, number>();
    let units = 0;
    for (const { minimumPollers, pollerGroup } of inventory.provisionedPollerMappings) {
      if (pollerGroup === undefined) units += unitsFor(minimumPollers);
      else grouped.set(pollerGroup, (grouped.get(pollerGroup) ?? 0) + minimumPollers);
    }
    for (const pollers of grouped.values()) units += unitsFor(pollers);
    const groups = grouped.size === 0 ? '' : `, ${grouped.size} poller group${grouped.size === 1 ? '' : 's'}`;
    items.push(
      line(
        'Lambda',
        `Kafka event source mappings in provisioned mode (${inventory.provisionedPollerMappings.length} mappings${groups}, ${units} EPU)`,
        units * hours,
        'EPU-hours',
        prices.lambda.provisionedPollers.eventPollerUnitHour,
      ),
    );
  }
  let requests = 0;
  let dollars = 0;
  let gbSeconds = 0;
  for (const schedule of inventory.schedules) {
    const spec = functionSpec(inventory, schedule.stack, schedule.functionLogicalId);
    const profiled = Object.values(perOrder?.lambda.byFunction ?? {}).find(
      (fn) => fn.stack === schedule.stack && fn.logicalId === schedule.functionLogicalId,
    );
    const durationMs =
      profiled && profiled.invocations > 0
        ? profiled.meanDurationMs * options.durationScale
        : options.scheduledDurationMs;
    const seconds = schedule.invocationsPerMonth * (durationMs / 1000) * ((spec?.memoryMb ?? 128) / 1024);
    requests += schedule.invocationsPerMonth;
    gbSeconds += seconds;
    dollars += seconds * prices.lambda.gbSecond[spec?.architecture ?? 'x86_64'];
  }
  if (inventory.schedules.length > 0) {
    items.push(
      line(
        'Lambda',
        `scheduled invocations (${inventory.schedules.length} schedules): requests`,
        requests,
        'requests',
        prices.lambda.requestsPerMillion / 1e6,
      ),
      {
        service: 'Lambda',
        item: 'scheduled invocations: duration',
        quantity: gbSeconds,
        unit: 'GB-s',
        unitPrice: gbSeconds === 0 ? 0 : dollars / gbSeconds,
        dollars,
      },
    );
  }
  const endpointAzs = inventory.interfaceEndpoints.reduce((sum, endpoint) => sum + endpoint.azs, 0);
  if (endpointAzs > 0) {
    items.push(
      line(
        'VPC',
        `interface endpoints (${inventory.interfaceEndpoints.map((e) => e.service).join(', ')}; ${endpointAzs} endpoint-AZs)`,
        endpointAzs * hours,
        'endpoint-AZ-hours',
        prices.vpc.interfaceEndpointAzHour,
      ),
    );
  }
  if (inventory.natGateways > 0) {
    items.push(
      line('VPC', 'NAT gateways', inventory.natGateways * hours, 'gateway-hours', prices.vpc.natGatewayHour),
    );
  }
  if (inventory.webAcls.length > 0) {
    const rules = inventory.webAcls.reduce((sum, count) => sum + count, 0);
    items.push(
      line('WAF', 'web ACLs', inventory.webAcls.length, 'web ACL-months', prices.waf.webAclMonth),
      line('WAF', 'rules', rules, 'rule-months', prices.waf.ruleMonth),
    );
  }
  if (inventory.secrets > 0)
    items.push(
      line(
        'Secrets Manager',
        'secrets',
        inventory.secrets,
        'secret-months',
        prices.secretsManager.secretMonth,
      ),
    );
  if (inventory.kmsKeys > 0)
    items.push(line('KMS', 'customer managed keys', inventory.kmsKeys, 'key-months', prices.kms.keyMonth));
  if (inventory.dashboards > 0)
    items.push(
      line(
        'CloudWatch',
        'dashboards',
        inventory.dashboards,
        'dashboard-months',
        prices.cloudwatch.dashboardMonth,
      ),
    );
  const alarmMetrics = inventory.alarms.reduce((sum, metrics) => sum + metrics, 0);
  if (alarmMetrics > 0)
    items.push(
      line(
        'CloudWatch',
        `metric alarms (${inventory.alarms.length})`,
        alarmMetrics,
        'alarm metric-months',
        prices.cloudwatch.alarmMetricMonth,
      ),
    );
  if (inventory.compositeAlarms > 0)
    items.push(
      line(
        'CloudWatch',
        'composite alarms',
        inventory.compositeAlarms,
        'alarm-months',
        prices.cloudwatch.compositeAlarmMonth,
      ),
    );
  return items;
}

const sum = (items: readonly LineItem[]) => items.reduce((total, item) => total + item.dollars, 0);

/** The whole report: variable costs for `options.orders` orders and the monthly floor. */
export function costReport(
  profile: Pick<BenchReport, 'perOrder'>,
  inventory: Inventory,
  prices: Prices,
  options: CostOptions = DEFAULT_OPTIONS,
): CostReport {
  const perOrders = variableCosts(profile.perOrder, inventory, prices, options);
  const floor = monthlyFloor(inventory, prices, profile.perOrder, options);
  return {
    orders: options.orders,
    perOrders,
    monthlyFloor: floor,
    totals: {
      perOrders: sum(perOrders),
      monthlyFloor: sum(floor),
      perOrder: options.orders === 0 ? 0 : sum(perOrders) / options.orders,
    },
    pricesTakenOn: prices.takenOn,
    region: prices.region,
    options,
  };
}

const dollars = (value: number) =>
  value >= 100
    ? `$${Math.round(value).toLocaleString('en-US')}`
    : value >= 1
      ? `$${value.toFixed(2)}`
      : `$${value.toFixed(3)}`;

const quantity = (value: number) =>
  value >= 1000
    ? Math.round(value).toLocaleString('en-US')
    : value >= 1
      ? value.toFixed(1)
      : value.toPrecision(3);

/** A unit price; below a tenth of a cent, per million units. */
const unitPrice = (value: number) =>
  value === 0
    ? '$0'
    : value < 0.001
      ? `$${Number((value * 1e6).toPrecision(4))} per M`
      : `$${Number(value.toPrecision(4))}`;

function table(items: readonly LineItem[], total: number, totalLabel: string): string[] {
  const rows = [
    '| service | item | quantity | unit price | USD |',
    '| --- | --- | ---: | ---: | ---: |',
    ...items.map(
      (item) =>
        `| ${item.service} | ${item.item} | ${quantity(item.quantity)} ${item.unit} | ${unitPrice(item.unitPrice)} | ${dollars(item.dollars)} |`,
    ),
    `| **total** | ${totalLabel} | | | **${dollars(total)}** |`,
  ];
  return rows;
}

/** The report as markdown: the per-orders table, the monthly floor table, the assumptions. */
export function formatCostReport(report: CostReport): string {
  const orders = report.orders.toLocaleString('en-US');
  const { options } = report;
  return [
    `### Per ${orders} orders (${report.region}, on-demand list prices of ${report.pricesTakenOn})`,
    '',
    ...table(
      report.perOrders,
      report.totals.perOrders,
      `${dollars(report.totals.perOrder * 1000)} per 1,000 orders`,
    ),
    '',
    '### Monthly floor (before the first order)',
    '',
    ...table(report.monthlyFloor, report.totals.monthlyFloor, 'per month'),
    '',
    `Assumptions: local durations × ${options.durationScale}; X-Ray samples ${(options.xraySampling * 100).toFixed(0)} % of invocations, each its own trace (an upper bound); Lambda's own log lines ${options.platformLogBytesPerInvocation} bytes per invocation; Kafka retention ${options.mskRetentionDays} days; scheduled functions without a measurement run ${options.scheduledDurationMs} ms. Free tiers are not applied. Not priced: DynamoDB storage and streams (stream reads by Lambda are free), CloudWatch Logs storage, custom metrics (EMF), Cognito monthly active users, S3, SQS and SNS (near zero), data transfer.`,
  ].join('\n');
}
