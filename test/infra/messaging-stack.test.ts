import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_TOPICS } from '#events';
import { PROJECT_TOPICS } from '#lib/topics';
import {
  actionsOf,
  buildTestApp,
  logicalIdOf,
  resourceOf,
  roleStatements,
  type TestApp,
} from './app-fixture';

const BYO_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/shared-kafka/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1';
const BYO_TOPIC_PREFIX =
  'arn:aws:kafka:eu-west-1:123456789012:topic/shared-kafka/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1/';

const clusterSecurityGroupId = (messaging: TestApp['stacks']['messaging']): string => {
  if (!messaging.clusterSecurityGroup)
    throw new Error('the messaging stack created no cluster security group');
  return logicalIdOf(messaging.clusterSecurityGroup);
};

let created: TestApp;
let createdTemplate: Template;
let byo: TestApp;
let byoTemplate: Template;

describe('Stack: MessagingStack', () => {
  beforeAll(() => {
    created = buildTestApp({ stage: 'test' });
    createdTemplate = created.template(created.stacks.messaging);
    byo = buildTestApp({
      stage: 'test',
      mskClusterArn: BYO_ARN,
      mskBootstrapBrokers: 'b-1.shared.example:9098,b-2.shared.example:9098',
    });
    byoTemplate = byo.template(byo.stacks.messaging);
  });

  it('creates an MSK Serverless cluster with IAM client authentication in the isolated subnets', () => {
    // Prepare
    const { messaging } = created.stacks;

    // Act
    const cluster = createdTemplate.findResources('AWS::MSK::ServerlessCluster');

    // Assess
    expect(Object.keys(cluster)).toHaveLength(1);
    createdTemplate.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClusterName: 'order-saga-test',
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      VpcConfigs: [
        {
          SecurityGroups: [{ 'Fn::GetAtt': [clusterSecurityGroupId(messaging), 'GroupId'] }],
          SubnetIds: [
            { 'Fn::ImportValue': Match.stringLikeRegexp('isolatedSubnet1') },
            { 'Fn::ImportValue': Match.stringLikeRegexp('isolatedSubnet2') },
          ],
        },
      ],
    });
  });

  it('admits the Kafka client security group on the IAM listener only', () => {
    // Prepare
    const { messaging } = created.stacks;

    // Act
    const ingress = Object.values(createdTemplate.findResources('AWS::EC2::SecurityGroupIngress'));

    // Assess
    expect(ingress.map((rule) => rule.Properties)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: 9098,
          ToPort: 9098,
          GroupId: { 'Fn::GetAtt': [clusterSecurityGroupId(messaging), 'GroupId'] },
          SourceSecurityGroupId: { 'Fn::ImportValue': expect.stringMatching(/KafkaClientSecurityGroup/) },
        }),
      ]),
    );
    for (const rule of ingress) {
      expect(rule.Properties).toMatchObject({ FromPort: 9098, ToPort: 9098 });
      expect(rule.Properties.CidrIp).toBeUndefined();
    }
  });

  it('creates the project topics through Custom::KafkaTopics after the network rules exist', () => {
    // Prepare
    const expectedTopics = PROJECT_TOPICS.map(({ name, partitions }) => ({ name, partitions }));

    // Act
    const resources = createdTemplate.findResources('Custom::KafkaTopics');

    // Assess
    expect(Object.values(resources)).toHaveLength(1);
    const [resource] = Object.values(resources);
    expect(resource?.Properties.Topics).toEqual(expectedTopics);
    expect(resource?.Properties.Topics.every((t: { partitions: number }) => t.partitions === 6)).toBe(true);
    expect(resource?.DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ClusterSecurityGroup/)]),
    );
  });

  it('uses the topic names of the event contract', () => {
    // Prepare
    const contract = [...ALL_TOPICS].sort();

    // Act
    const deployed = PROJECT_TOPICS.map((topic) => topic.name).sort();

    // Assess
    expect(deployed).toEqual(contract);
  });

  it('lets the topic admin create, describe and alter only the project topics', () => {
    // Prepare
    const { topics } = created.stacks.messaging;

    // Act
    const statements = roleStatements(createdTemplate, topics.handler);

    // Assess
    const admin = statements.find((s) => s.Sid === 'MskTopicsAdmin');
    expect(admin && actionsOf(admin).sort()).toEqual([
      'kafka-cluster:AlterTopic',
      'kafka-cluster:CreateTopic',
      'kafka-cluster:DescribeTopic',
    ]);
    const topicResources = JSON.stringify(admin?.Resource);
    for (const topic of PROJECT_TOPICS) expect(topicResources).toContain(`/${topic.name}`);
    expect(topicResources).not.toContain('/*');
    expect(statements.find((s) => s.Sid === 'MskClusterConnect')).toMatchObject({
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
      Resource: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
    });
  });

  it('runs the topic admin in the VPC with the Kafka client security group', () => {
    // Prepare
    const { topics } = created.stacks.messaging;

    // Act
    const fn = resourceOf(createdTemplate, topics.handler);

    // Assess
    expect(fn.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [{ 'Fn::ImportValue': expect.stringMatching(/KafkaClientSecurityGroup/) }],
      SubnetIds: [
        { 'Fn::ImportValue': expect.stringMatching(/isolatedSubnet1/) },
        { 'Fn::ImportValue': expect.stringMatching(/isolatedSubnet2/) },
      ],
    });
    expect(fn.Properties.Environment).toMatchObject({
      Variables: {
        MSK_CLUSTER_ARN: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
        KAFKA_BOOTSTRAP_BROKERS: '',
        KAFKA_AUTH: 'iam',
        KAFKA_IDEMPOTENT_PRODUCER: 'false',
        KAFKA_CLIENT_ID: 'order-saga-topic-admin',
      },
    });
  });

  it('creates no cluster when the context names one, and scopes IAM to its literal ARNs', () => {
    // Prepare
    const { orders } = byo.stacks;
    const relayStatements = roleStatements(byo.template(orders), orders.outbox.relayFunction);

    // Act
    const clusters = byoTemplate.findResources('AWS::MSK::ServerlessCluster');

    // Assess
    expect(Object.keys(clusters)).toHaveLength(0);
    byoTemplate.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(relayStatements.find((s) => s.Sid === 'MskClusterConnect')).toMatchObject({
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
      Resource: BYO_ARN,
    });
    // The orders relay may write its own topic only.
    expect(relayStatements.find((s) => s.Sid === 'MskTopicsProduce')).toMatchObject({
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      Resource: `${BYO_TOPIC_PREFIX}orders.events`,
    });
    expect(
      resourceOf(byo.template(orders), orders.outbox.relayFunction).Properties.Environment,
    ).toMatchObject({
      Variables: {
        MSK_CLUSTER_ARN: BYO_ARN,
        KAFKA_BOOTSTRAP_BROKERS: 'b-1.shared.example:9098,b-2.shared.example:9098',
        KAFKA_AUTH: 'iam',
      },
    });
    byoTemplate.resourceCountIs('Custom::KafkaTopics', 1);
  });

  it('gives every Kafka client plaintext auth when the context says kafkaAuth=none', () => {
    // Prepare
    const plaintext = buildTestApp({
      stage: 'test',
      mskClusterArn: BYO_ARN,
      mskBootstrapBrokers: 'kafka:9092',
      kafkaAuth: 'none',
    });
    const { messaging, orders } = plaintext.stacks;
    const clients = [
      { template: plaintext.template(messaging), fn: messaging.topics.handler },
      { template: plaintext.template(orders), fn: orders.outbox.relayFunction },
      { template: plaintext.template(orders), fn: orders.outbox.sweeperFunction },
    ];

    // Act
    const environments = clients.map(({ template, fn }) => resourceOf(template, fn).Properties.Environment);

    // Assess
    for (const environment of environments) {
      expect(environment).toMatchObject({
        Variables: {
          MSK_CLUSTER_ARN: BYO_ARN,
          KAFKA_BOOTSTRAP_BROKERS: 'kafka:9092',
          KAFKA_AUTH: 'none',
        },
      });
    }
  });

  it('outputs the cluster ARN and the client security group for a bring-your-own cluster', () => {
    // Prepare
    const outputs = byoTemplate.findOutputs('*');

    // Act
    const clusterArn = outputs.KafkaClusterArn?.Value;

    // Assess
    expect(clusterArn).toBe(BYO_ARN);
    expect(outputs.KafkaClientSecurityGroupId?.Value).toEqual({
      'Fn::ImportValue': expect.stringMatching(/KafkaClientSecurityGroup/),
    });
  });
});
