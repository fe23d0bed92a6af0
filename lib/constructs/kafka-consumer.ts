import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InfrastructureError } from '../errors';
import { alarmAboveZero } from './alarms';
import { type KafkaConnection, kafkaGroupArn, kafkaTopicArn } from './kafka-connection';
import {
  acknowledgeSynchronousInvocation,
  bindTable,
  METRICS_NAMESPACE,
  ServiceFunction,
} from './service-function';

export interface KafkaConsumerProps {
  /** Handler file relative to `functions/`; it exports `handler` (usually `kafkaConsumerHandler`). */
  readonly entry: string;
  /** Bounded context of the consumer (`POWERTOOLS_SERVICE_NAME`, consumer groups, metrics dimension). */
  readonly service: string;
  readonly kafka: KafkaConnection;
  /** Topics to consume; one event source mapping each. */
  readonly topics: readonly string[];
  /** The dead-letter table (messaging stack). */
  readonly deadLetters: dynamodb.ITable;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long the poller gathers records before it invokes. @default 1 second */
  readonly maxBatchingWindow?: Duration;
  /** Failed handler runs of one event before it becomes a dead letter (`CONSUMER_MAX_ATTEMPTS`). @default 3 */
  readonly maxAttempts?: number;
  /**
   * Retries of a failing batch by the event source mapping before it goes to the on-failure queue;
   * more than `maxAttempts`, so events reach the dead-letter table first. @default 10
   */
  readonly retryAttempts?: number;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 60 seconds */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /** @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/** Consumer group of one consumer and topic: a group id must be unique among all Kafka event sources. */
export function consumerGroupId(service: string, topic: string): string {
  return `order-saga-${service}-${topic}`;
}

/**
 * A Kafka consumer: a function run by MSK event source mappings (Lambda polls Kafka; the function is not
 * in the VPC), one per topic, with
 * - starting position TRIM_HORIZON, a consumer group per service and topic, batching;
 * - the failure path AWS documents for Kafka sources: provisioned pollers (error handling needs
 *   provisioned mode), bounded retries with bisection, and an encrypted SQS on-failure destination;
 * - its own Powertools idempotency table (`IDEMPOTENCY_TABLE_NAME`: `id`, TTL `expiration`) and the
 *   shared dead-letter table (`DEAD_LETTER_TABLE_NAME`);
 * - IAM for the mappings scoped to this consumer's topics and groups.
 */
export class KafkaConsumer extends Construct {
  readonly fn: ServiceFunction;
  readonly idempotencyTable: dynamodb.Table;
  /** Batches the event source mappings gave up on (metadata pointing at the records). */
  readonly onFailureQueue: sqs.Queue;
  readonly eventSources: ManagedKafkaEventSource[];
  readonly consumerGroups: string[];
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: KafkaConsumerProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 100;
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    const maxAttempts = props.maxAttempts ?? 3;
    const retryAttempts = props.retryAttempts ?? 10;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    if (props.topics.length === 0) throw new InfrastructureError(`${this.node.path}: no topics to consume`);
    if (new Set(props.topics).size !== props.topics.length) {
      throw new InfrastructureError(`${this.node.path}: a topic is listed twice`);
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new InfrastructureError(`${this.node.path}: maxAttempts must be a positive integer`);
    }
    if (!Number.isInteger(retryAttempts) || retryAttempts <= maxAttempts) {
      throw new InfrastructureError(`${this.node.path}: retryAttempts must be an integer above maxAttempts`);
    }

    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });

    this.onFailureQueue = new sqs.Queue(this, 'OnFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the on-failure destination of the Kafka event source mappings, i.e. a dead-letter queue; it has none itself.',
    });
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the failure destination of the Kafka event source mappings; it holds pointers to records for investigation, nothing consumes it automatically.',
    });

    this.fn = new ServiceFunction(this, 'Function', {
      entry: props.entry,
      serviceName: props.service,
      description: `${props.service}: consumes ${props.topics.join(', ')}`,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      logRemovalPolicy: removalPolicy,
      environment: { CONSUMER_MAX_ATTEMPTS: String(maxAttempts), ...props.environment },
    });
    bindTable(this.fn, this.idempotencyTable, 'IDEMPOTENCY_TABLE_NAME', 'readWrite');
    bindTable(this.fn, props.deadLetters, 'DEAD_LETTER_TABLE_NAME', 'readWrite');
    acknowledgeSynchronousInvocation(
      this.fn,
      'its MSK event source mappings, whose failed batches go to the on-failure queue',
    );

    this.consumerGroups = props.topics.map((topic) => consumerGroupId(props.service, topic));
    this.eventSources = props.topics.map((topic) => {
      const source = new ManagedKafkaEventSource({
        clusterArn: props.kafka.clusterArn,
        topic,
        consumerGroupId: consumerGroupId(props.service, topic),
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow,
        provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 3 },
        retryAttempts,
        bisectBatchOnError: true,
        onFailure: new SqsDlq(this.onFailureQueue),
      });
      this.fn.addEventSource(source);
      return source;
    });

    // The mappings poll as the function's role (MSK IAM auth): cluster, these topics, these groups.
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'MskConsumerCluster',
        actions: [
          'kafka-cluster:Connect',
          'kafka-cluster:DescribeClusterDynamicConfiguration',
          'kafka:DescribeClusterV2',
          'kafka:GetBootstrapBrokers',
        ],
        resources: [props.kafka.clusterArn],
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'MskConsumerTopics',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: props.topics.map((topic) => kafkaTopicArn(props.kafka.clusterArn, topic)),
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'MskConsumerGroups',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: this.consumerGroups.map((group) => kafkaGroupArn(props.kafka.clusterArn, group)),
      }),
    );
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]',
      reason:
        'Attached by ManagedKafkaEventSource: the documented execution policy of MSK event source mappings (describe the cluster, bootstrap brokers, and the network interfaces the pollers create in the cluster VPC). Kafka data access is granted separately, scoped to this consumer’s topics and groups.',
    });

    this.alarms = [
      alarmAboveZero(
        this,
        'OnFailureQueueAlarm',
        `${props.service} consumer: the event source mapping gave up on batches (see the on-failure queue)`,
        this.onFailureQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
      alarmAboveZero(
        this,
        'DeadLettersAlarm',
        `${props.service} consumer: records were dead-lettered (GET /admin/dead-letters)`,
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'EventsDeadLettered',
          dimensionsMap: { service: props.service },
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
      ),
      new cloudwatch.Alarm(this, 'OffsetLagAlarm', {
        alarmDescription: `${props.service} consumer: more than 1000 records behind for 15 minutes`,
        metric: this.fn.metric('OffsetLag', {
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
