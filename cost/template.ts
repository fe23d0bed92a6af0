/**
 * What the synthesized app deploys that has a price: functions (memory, architecture, tracing), the
 * Kafka topics' partitions, MSK clusters, provisioned pollers of the Kafka event source mappings,
 * schedules, VPC endpoints and NAT gateways, WAF web ACLs and their rules, secrets, KMS keys,
 * dashboards and alarms. Read from the templates of a cloud assembly (`cdk.out`).
 */
import { type CfnResource, loadCloudAssembly, type StackTemplate } from '../localstack/runtime/template';

export interface FunctionSpec {
  stack: string;
  logicalId: string;
  memoryMb: number;
  architecture: 'arm64' | 'x86_64';
  tracing: boolean;
}

export interface ScheduleSpec {
  stack: string;
  rule: string;
  /** Logical id of the target function in the same stack. */
  functionLogicalId: string;
  /** Invocations per month (730 hours). */
  invocationsPerMonth: number;
}

export interface Inventory {
  functions: FunctionSpec[];
  topics: { name: string; partitions: number }[];
  mskServerlessClusters: number;
  mskProvisionedClusters: number;
  /**
   * Each Kafka event source mapping in provisioned mode: its minimum pollers and, when it shares its
   * event poller units with other mappings, its poller group.
   */
  provisionedPollerMappings: { minimumPollers: number; pollerGroup?: string }[];
  schedules: ScheduleSpec[];
  /** Availability zones (subnets) of each interface endpoint. */
  interfaceEndpoints: { service: string; azs: number }[];
  gatewayEndpoints: number;
  natGateways: number;
  /** Rules of each WAF web ACL. */
  webAcls: number[];
  secrets: number;
  kmsKeys: number;
  dashboards: number;
  /** Metrics of each metric alarm (1, or the metrics of a metric-math alarm). */
  alarms: number[];
  compositeAlarms: number;
}

export class InventoryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InventoryError';
  }
}

const HOURS_PER_MONTH = 730;

/** Invocations per month of a `rate(N unit)` or `cron(...)` expression (cron: assumed once a day). */
export function invocationsPerMonth(expression: string, hoursPerMonth = HOURS_PER_MONTH): number {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const every = Number(rate[1]);
    const unitHours = rate[2]?.startsWith('minute') ? 1 / 60 : rate[2]?.startsWith('hour') ? 1 : 24;
    return hoursPerMonth / (every * unitHours);
  }
  if (/^cron\(/.test(expression.trim())) return hoursPerMonth / 24;
  throw new InventoryError(`Unknown schedule expression "${expression}"`);
}

/** The service of an endpoint's `ServiceName` (`com.amazonaws.<region>.kafka` → `kafka`). */
export function endpointService(name: unknown): string {
  const strings: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(name);
  return strings.join('').split('.').pop() ?? '';
}

const targetLogicalId = (arn: unknown): string | undefined => {
  const getAtt = (arn as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
};

/** The priced resources of these stacks. */
export function inventoryOf(stacks: readonly StackTemplate[]): Inventory {
  const inventory: Inventory = {
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
  };
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      add(inventory, stack, logicalId, resource);
    }
  }
  return inventory;
}

function add(inventory: Inventory, stack: StackTemplate, logicalId: string, resource: CfnResource): void {
  const props = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::Lambda::Function': {
      const architectures = props.Architectures as string[] | undefined;
      inventory.functions.push({
        stack: stack.stackName,
        logicalId,
        memoryMb: Number(props.MemorySize ?? 128),
        architecture: architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64',
        tracing: (props.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active',
      });
      return;
    }
    case 'AWS::MSK::ServerlessCluster':
      inventory.mskServerlessClusters += 1;
      return;
    case 'AWS::MSK::Cluster':
      inventory.mskProvisionedClusters += 1;
      return;
    case 'AWS::Lambda::EventSourceMapping': {
      const pollers = props.ProvisionedPollerConfig as
        | { MinimumPollers?: number; PollerGroupName?: string }
        | undefined;
      if (pollers !== undefined)
        inventory.provisionedPollerMappings.push({
          minimumPollers: Number(pollers.MinimumPollers ?? 1),
          ...(typeof pollers.PollerGroupName === 'string' && pollers.PollerGroupName !== ''
            ? { pollerGroup: pollers.PollerGroupName }
            : {}),
        });
      return;
    }
    case 'AWS::Events::Rule': {
      const expression = props.ScheduleExpression;
      if (typeof expression !== 'string' || props.State === 'DISABLED') return;
      for (const target of (props.Targets ?? []) as { Arn?: unknown }[]) {
        const functionLogicalId = targetLogicalId(target.Arn);
        if (functionLogicalId === undefined) continue;
        inventory.schedules.push({
          stack: stack.stackName,
          rule: logicalId,
          functionLogicalId,
          invocationsPerMonth: invocationsPerMonth(expression),
        });
      }
      return;
    }
    case 'AWS::EC2::VPCEndpoint': {
      if (props.VpcEndpointType === 'Interface') {
        const subnets = props.SubnetIds;
        inventory.interfaceEndpoints.push({
          service: endpointService(props.ServiceName),
          azs: Array.isArray(subnets) ? subnets.length : 1,
        });
      } else inventory.gatewayEndpoints += 1;
      return;
    }
    case 'AWS::EC2::NatGateway':
      inventory.natGateways += 1;
      return;
    case 'AWS::WAFv2::WebACL':
      inventory.webAcls.push(Array.isArray(props.Rules) ? props.Rules.length : 0);
      return;
    case 'AWS::SecretsManager::Secret':
      inventory.secrets += 1;
      return;
    case 'AWS::KMS::Key':
      inventory.kmsKeys += 1;
      return;
    case 'AWS::CloudWatch::Dashboard':
      inventory.dashboards += 1;
      return;
    case 'AWS::CloudWatch::Alarm': {
      const metrics = props.Metrics as { MetricStat?: unknown }[] | undefined;
      inventory.alarms.push(
        Array.isArray(metrics) ? Math.max(1, metrics.filter((m) => m.MetricStat).length) : 1,
      );
      return;
    }
    case 'AWS::CloudWatch::CompositeAlarm':
      inventory.compositeAlarms += 1;
      return;
    default:
      if (resource.Type.startsWith('Custom::') && Array.isArray(props.Topics)) {
        for (const topic of props.Topics as { name?: unknown; partitions?: unknown }[]) {
          inventory.topics.push({ name: String(topic.name), partitions: Number(topic.partitions ?? 1) });
        }
      }
  }
}

/** The inventory of the cloud assembly in `cdkOut`. */
export function inventoryOfCloudAssembly(cdkOut: string): Inventory {
  return inventoryOf(loadCloudAssembly(cdkOut));
}
