import { describe, expect, it } from 'vitest';
import { endpointService, InventoryError, inventoryOf, invocationsPerMonth } from '#cost/template';
import type { StackTemplate } from '#localstack/runtime/template';

const stack = (stackName: string, resources: StackTemplate['resources']): StackTemplate => ({
  stackName,
  resources,
  outputs: {},
  parameters: {},
});

describe('Function: invocationsPerMonth', () => {
  it('counts the invocations of rate expressions over 730 hours', () => {
    // Act & Assess
    expect(invocationsPerMonth('rate(1 minute)')).toBe(43_800);
    expect(invocationsPerMonth('rate(5 minutes)')).toBe(8_760);
    expect(invocationsPerMonth('rate(2 hours)')).toBe(365);
    expect(invocationsPerMonth('rate(1 day)')).toBeCloseTo(730 / 24, 9);
  });

  it('rejects an expression it cannot read', () => {
    // Act & Assess
    expect(() => invocationsPerMonth('every minute')).toThrow(InventoryError);
  });
});

describe('Function: endpointService', () => {
  it('reads the service of a joined or a plain service name', () => {
    // Act & Assess
    expect(endpointService({ 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.kafka']] })).toBe(
      'kafka',
    );
    expect(endpointService('com.amazonaws.us-east-1.xray')).toBe('xray');
  });
});

describe('Function: inventoryOf', () => {
  it('counts the priced resources of the templates', () => {
    // Prepare
    const stacks = [
      stack('App-Network', {
        Kafka: {
          Type: 'AWS::EC2::VPCEndpoint',
          Properties: {
            VpcEndpointType: 'Interface',
            ServiceName: 'com.amazonaws.us-east-1.kafka',
            SubnetIds: [{ Ref: 'A' }, { Ref: 'B' }],
          },
        },
        Dynamo: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
        Nat: { Type: 'AWS::EC2::NatGateway' },
      }),
      stack('App-Messaging', {
        Cluster: { Type: 'AWS::MSK::ServerlessCluster' },
        Topics: {
          Type: 'Custom::KafkaTopics',
          Properties: {
            Topics: [
              { name: 'orders.events', partitions: 6 },
              { name: 'payments.events', partitions: '3' },
            ],
          },
        },
      }),
      stack('App-Orders', {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { MemorySize: 512, Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
        },
        Plain: { Type: 'AWS::Lambda::Function', Properties: {} },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 3 } },
        },
        GroupedMapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { ProvisionedPollerConfig: { MinimumPollers: 1, PollerGroupName: 'shared' } },
        },
        StreamMapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: {} },
        Schedule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            ScheduleExpression: 'rate(1 minute)',
            Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }],
          },
        },
        Disabled: {
          Type: 'AWS::Events::Rule',
          Properties: {
            ScheduleExpression: 'rate(1 minute)',
            State: 'DISABLED',
            Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }],
          },
        },
        Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{}, {}, {}] } },
        Secret: { Type: 'AWS::SecretsManager::Secret' },
        Key: { Type: 'AWS::KMS::Key' },
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
        MathAlarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { Metrics: [{ MetricStat: {} }, { MetricStat: {} }, { Expression: 'a+b' }] },
        },
        Composite: { Type: 'AWS::CloudWatch::CompositeAlarm' },
        Dashboard: { Type: 'AWS::CloudWatch::Dashboard' },
      }),
    ];

    // Act
    const inventory = inventoryOf(stacks);

    // Assess
    expect(inventory.interfaceEndpoints).toEqual([{ service: 'kafka', azs: 2 }]);
    expect(inventory.gatewayEndpoints).toBe(1);
    expect(inventory.natGateways).toBe(1);
    expect(inventory.mskServerlessClusters).toBe(1);
    expect(inventory.topics).toEqual([
      { name: 'orders.events', partitions: 6 },
      { name: 'payments.events', partitions: 3 },
    ]);
    expect(inventory.functions).toEqual([
      { stack: 'App-Orders', logicalId: 'Fn', memoryMb: 512, architecture: 'arm64', tracing: true },
      { stack: 'App-Orders', logicalId: 'Plain', memoryMb: 128, architecture: 'x86_64', tracing: false },
    ]);
    expect(inventory.provisionedPollerMappings).toEqual([
      { minimumPollers: 2 },
      { minimumPollers: 1, pollerGroup: 'shared' },
    ]);
    expect(inventory.schedules).toEqual([
      { stack: 'App-Orders', rule: 'Schedule', functionLogicalId: 'Fn', invocationsPerMonth: 43_800 },
    ]);
    expect(inventory.webAcls).toEqual([3]);
    expect(inventory.secrets).toBe(1);
    expect(inventory.kmsKeys).toBe(1);
    expect(inventory.alarms).toEqual([1, 2]);
    expect(inventory.compositeAlarms).toBe(1);
    expect(inventory.dashboards).toBe(1);
  });
});
