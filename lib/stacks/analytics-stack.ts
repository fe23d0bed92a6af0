import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { type AppConfig, removalPolicyFor } from '../config';
import type { KafkaConnection } from '../constructs/kafka-connection';
import { KafkaConsumer } from '../constructs/kafka-consumer';
import { bindTable } from '../constructs/service-function';
import { PROJECT_TOPIC_NAMES } from '../topics';
import type { LabelledFunction } from './order-service-stack';

export interface AnalyticsStackProps extends StackProps {
  readonly config: AppConfig;
  readonly kafka: KafkaConnection;
  readonly deadLetters: dynamodb.ITable;
}

/**
 * Analytics: consumes every topic and keeps counters by hour in the `analytics` table (one ADD per
 * counter and batch, exactly once through per-event markers). The order service reads the table for
 * GET /admin/metrics; this stack depends on nothing but messaging.
 */
export class AnalyticsStack extends Stack {
  readonly analyticsTable: dynamodb.Table;
  readonly consumer: KafkaConsumer;
  readonly functions: LabelledFunction[];
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyFor(config);

    this.analyticsTable = new dynamodb.Table(this, 'AnalyticsTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.stage === 'prod',
      removalPolicy,
    });

    this.consumer = new KafkaConsumer(this, 'Consumer', {
      entry: 'analytics/handlers/consumer.ts',
      service: 'analytics',
      kafka: props.kafka,
      topics: PROJECT_TOPIC_NAMES,
      deadLetters: props.deadLetters,
      removalPolicy,
    });
    bindTable(this.consumer.fn, this.analyticsTable, 'ANALYTICS_TABLE_NAME', 'readWrite');

    this.functions = [{ label: 'analytics-consumer', fn: this.consumer.fn }];
    this.alarms = [...this.consumer.alarms];
    new CfnOutput(this, 'AnalyticsTableName', { value: this.analyticsTable.tableName });
  }
}
