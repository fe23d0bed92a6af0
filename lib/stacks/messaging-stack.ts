import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import { DEAD_LETTER_STATUS_INDEX } from '#platform/consumer/dead-letters';
import { PARKED_INDEX } from '#platform/consumer/parking';
import { type AppConfig, removalPolicyFor } from '../config';
import { clusterNameOf, type KafkaConnection, MSK_IAM_PORT } from '../constructs/kafka-connection';
import { KafkaTopics } from '../constructs/kafka-topics';
import { PROJECT_TOPICS } from '../topics';

export interface MessagingStackProps extends StackProps {
  readonly config: AppConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly kafkaClientSecurityGroup: ec2.ISecurityGroup;
}

/**
 * Kafka for the platform: an MSK Serverless cluster with IAM client authentication in the isolated
 * subnets (unless the context names an existing cluster with `mskClusterArn`), and the project's
 * topics. `kafka` is what every Kafka client is built from.
 */
export class MessagingStack extends Stack {
  readonly kafka: KafkaConnection;
  /** The created cluster; undefined for a bring-your-own cluster. */
  readonly cluster?: msk.CfnServerlessCluster;
  /** Security group of the created cluster's network interfaces (also used by MSK event source mappings). */
  readonly clusterSecurityGroup?: ec2.SecurityGroup;
  readonly topics: KafkaTopics;
  /**
   * Records every Kafka consumer gave up on (dead letters), attempt counters of failing events, and the
   * records consumers parked to retry later (a redrive parks a dead letter for its service); shared by
   * all consumers, so it lives here rather than in a service.
   */
  readonly deadLetters: dynamodb.Table;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { config } = props;

    let clusterArn: string;
    let clusterName: string;
    if (config.mskClusterArn) {
      clusterArn = config.mskClusterArn;
      clusterName = clusterNameOf(config.mskClusterArn);
    } else {
      clusterName = `order-saga-${config.stage}`;
      const clusterSecurityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
        vpc: props.vpc,
        description: 'MSK Serverless brokers: IAM listener for Kafka clients and MSK event source mappings',
        allowAllOutbound: true,
      });
      clusterSecurityGroup.addIngressRule(
        props.kafkaClientSecurityGroup,
        ec2.Port.tcp(MSK_IAM_PORT),
        'Kafka clients over the IAM listener',
      );
      clusterSecurityGroup.addIngressRule(
        clusterSecurityGroup,
        ec2.Port.tcp(MSK_IAM_PORT),
        'MSK event source mapping pollers, which run with the cluster security group',
      );
      const cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
        clusterName,
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [
          {
            subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
            securityGroups: [clusterSecurityGroup.securityGroupId],
          },
        ],
      });
      clusterArn = cluster.attrArn;
      this.cluster = cluster;
      this.clusterSecurityGroup = clusterSecurityGroup;
    }

    this.kafka = {
      clusterArn,
      clusterName,
      ...(config.mskBootstrapBrokers ? { bootstrapBrokers: config.mskBootstrapBrokers } : {}),
      auth: config.kafkaAuth,
      eventSources: config.kafkaEventSources,
      clientSecurityGroup: props.kafkaClientSecurityGroup,
      vpc: props.vpc,
      subnets: props.subnets,
      pollerGroupName: `order-saga-${config.stage}`,
    };

    this.topics = new KafkaTopics(this, 'Topics', {
      kafka: this.kafka,
      topics: PROJECT_TOPICS,
      logRemovalPolicy: removalPolicyFor(config),
    });
    if (this.clusterSecurityGroup) this.topics.node.addDependency(this.clusterSecurityGroup);

    const removalPolicy = removalPolicyFor(config);
    this.deadLetters = new dynamodb.Table(this, 'DeadLetterTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.stage === 'prod',
      removalPolicy,
    });
    this.deadLetters.addGlobalSecondaryIndex({
      indexName: DEAD_LETTER_STATUS_INDEX,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.deadLetters.addGlobalSecondaryIndex({
      indexName: PARKED_INDEX,
      partitionKey: { name: 'parkedService', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'retryAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    new CfnOutput(this, 'DeadLetterTableName', { value: this.deadLetters.tableName });
    new CfnOutput(this, 'KafkaClusterArn', {
      value: clusterArn,
      description: 'MSK cluster the platform uses',
    });
    new CfnOutput(this, 'KafkaClientSecurityGroupId', {
      value: props.kafkaClientSecurityGroup.securityGroupId,
      description: 'Security group of the Kafka clients; a bring-your-own cluster must admit it on port 9098',
    });
  }
}
