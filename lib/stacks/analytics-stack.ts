import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { AnalyticsConsumerFn } from '#functions/analytics/contract';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import { ServiceStack, type ServiceStackProps } from './service-stack';

/**
 * Analytics: consumes every topic and keeps counters by hour in the `analytics` table (one ADD per
 * counter and batch, exactly once through per-event markers). The orders stack's API reads the table
 * for GET /admin/metrics; this stack depends on nothing but messaging.
 */
export class AnalyticsStack extends ServiceStack {
  readonly analyticsTable: dynamodb.Table;
  readonly consumer: KafkaConsumer<typeof AnalyticsConsumerFn>;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, 'analytics', props);
    this.analyticsTable = new dynamodb.Table(this, 'AnalyticsTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: this.config.stage === 'prod',
      removalPolicy: this.removalPolicy,
    });
    this.consumer = this.addConsumer('Consumer', {
      contract: AnalyticsConsumerFn,
      tables: { ANALYTICS_TABLE_NAME: this.analyticsTable },
      // Off every critical path: a longer window gathers more events per invocation, so fewer
      // invocations and one counter update per counter and batch.
      maxBatchingWindow: Duration.seconds(10),
    });
    new CfnOutput(this, 'AnalyticsTableName', { value: this.analyticsTable.tableName });
  }
}
