import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { VPC_CIDR } from '#lib/stacks/network-stack';
import { buildTestApp, type TestApp } from './app-fixture';

let testApp: TestApp;
let template: Template;

/** Service of an endpoint, from its name `com.amazonaws.<region>.<service>` (a join around the region). */
const serviceNameOf = (endpoint: { [key: string]: unknown }): string => {
  const { ServiceName } = endpoint.Properties as { ServiceName: { 'Fn::Join': [string, unknown[]] } };
  const last = ServiceName['Fn::Join'][1].at(-1);
  return typeof last === 'string' ? last.replace(/^\./, '') : JSON.stringify(ServiceName);
};

describe('Stack: NetworkStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    template = testApp.template(testApp.stacks.network);
  });

  it('creates a two-AZ VPC of isolated subnets with no NAT and no internet gateway', () => {
    // Prepare
    const vpcProps = { CidrBlock: VPC_CIDR };

    // Act
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));

    // Assess
    template.resourcePropertiesCountIs('AWS::EC2::VPC', vpcProps, 1);
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
  });

  it('reaches DynamoDB and S3 through gateway endpoints and kafka, sts, lambda and xray through interface endpoints', () => {
    // Prepare
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));

    // Act
    const byType = (type: string) =>
      endpoints
        .filter((e) => e.Properties.VpcEndpointType === type)
        .map((e) => serviceNameOf(e))
        .sort();

    // Assess
    // S3: the Kafka mappings' pollers run in these subnets and write discarded batches to S3.
    expect(byType('Gateway')).toEqual(['dynamodb', 's3']);
    expect(byType('Interface')).toEqual(['kafka', 'lambda', 'sts', 'xray']);
    for (const endpoint of endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface')) {
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
    }
  });

  it('admits only HTTPS from inside the VPC on the interface endpoints', () => {
    // Prepare
    const groups = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).filter(([id]) =>
      id.includes('Endpoint'),
    );

    // Act
    const ingress = groups.flatMap(([, group]) => group.Properties.SecurityGroupIngress ?? []);

    // Assess
    expect(groups).toHaveLength(4);
    expect(ingress).toHaveLength(4);
    for (const rule of ingress) expect(rule).toMatchObject({ CidrIp: VPC_CIDR, FromPort: 443, ToPort: 443 });
  });

  it('logs all VPC traffic to a log group kept for one month', () => {
    // Prepare
    const flowLogProps = { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' };

    // Act
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));

    // Assess
    template.hasResourceProperties('AWS::EC2::FlowLog', flowLogProps);
    expect(logGroups.map((group) => group.Properties.RetentionInDays)).toContain(30);
  });

  it('provides a Kafka client security group', () => {
    // Prepare
    const description = Match.stringLikeRegexp('Kafka clients');

    // Act
    const groups = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: description },
    });

    // Assess
    expect(Object.keys(groups)).toHaveLength(1);
  });
});
