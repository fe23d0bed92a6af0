import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CONSUMER_TABLES } from '#platform/consumer/contract';
import { PARKED_INDEX } from '#platform/consumer/parking';
import { type AnyContract, topicsOf } from '#platform/contract';
import { InfrastructureError } from '../errors';
import { alarmAboveZero } from './alarms';
import { type KafkaConnection, kafkaGroupArn, kafkaTopicArn } from './kafka-connection';
import {
  acknowledgeSynchronousInvocation,
  grantTableActions,
  METRICS_NAMESPACE,
  ServiceFunction,
  type ServiceFunctionProps,
  type SettingsOf,
  type TablesOf,
} from './service-function';

export interface KafkaConsumerProps<C extends AnyContract> {
  /**
   * The consumer's contract: its service (consumer groups, metrics dimension), the event types it
   * handles (one event source mapping per topic they are published to), its tables and settings.
   */
  readonly contract: C;
  readonly kafka: KafkaConnection;
  /** The dead-letter table (messaging stack). */
  readonly deadLetters: dynamodb.ITable;
  /** The consumer's own tables (the idempotency table is created here, the dead-letter table given). */
  readonly tables: Omit<TablesOf<C>, keyof typeof CONSUMER_TABLES>;
  readonly settings?: SettingsOf<C>;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long the poller gathers records before it invokes. @default 1 second */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch by the event source mapping before it goes to the on-failure queue;
   * more than the contract's `CONSUMER_MAX_ATTEMPTS`, so events reach the dead-letter table first.
   * @default 10
   */
  readonly retryAttempts?: number;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 60 seconds */
  readonly timeout?: Duration;
  /** @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * What a consumer may do to the items of the shared dead-letter table, and nothing else: put new dead
 * letters (`DEADLETTER#...`), count the failed attempts of its own service's events
 * (`ATTEMPTS#<service>#...`), and park, re-park and release its own service's records
 * (`PARKED#<service>#...`). It cannot read or change another service's items or an operator's
 * changes to a dead letter. (Querying its parked records through the `parked` index is granted with
 * the schedule that sweeps them.)
 */
export function grantDeadLetterWrites(fn: lambda.IFunction, table: dynamodb.ITable, service: string): void {
  grantTableActions(fn, table, ['dynamodb:PutItem'], {
    leadingKeys: ['DEADLETTER#*', `PARKED#${service}#*`],
  });
  grantTableActions(fn, table, ['dynamodb:UpdateItem'], { leadingKeys: [`ATTEMPTS#${service}#*`] });
  grantTableActions(fn, table, ['dynamodb:DeleteItem'], { leadingKeys: [`PARKED#${service}#*`] });
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
export class KafkaConsumer<C extends AnyContract = AnyContract> extends Construct {
  readonly fn: ServiceFunction<C>;
  /** The consumer's Powertools idempotency table, when its contract reads one. */
  readonly idempotencyTable?: dynamodb.Table;
  /** Batches the event source mappings gave up on (metadata pointing at the records). */
  readonly onFailureQueue: sqs.Queue;
  readonly eventSources: ManagedKafkaEventSource[];
  readonly consumerGroups: string[];
  /** The schedule on which the consumer retries its parked records (per-record consumers). */
  readonly parkedSweep?: events.Rule;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: KafkaConsumerProps<C>) {
    super(scope, id);
    const { contract } = props;
    const service = contract.service;
    if (service === undefined)
      throw new InfrastructureError(`${this.node.path}: the consumer names no service`);
    const topics = topicsOf(contract);
    if (topics.length === 0)
      throw new InfrastructureError(`${this.node.path}: the contract consumes no events`);
    const batchSize = props.batchSize ?? 100;
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    const retryAttempts = props.retryAttempts ?? 10;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    // Handler failures per event before it is dead-lettered (the framework's setting; 1 without it).
    const attemptsSetting = contract.settings.shape.CONSUMER_MAX_ATTEMPTS;
    const given = (props.settings as Record<string, unknown> | undefined)?.CONSUMER_MAX_ATTEMPTS;
    const maxAttempts = attemptsSetting ? Number(attemptsSetting.parse(given)) : 1;
    if (!Number.isInteger(retryAttempts) || retryAttempts <= maxAttempts) {
      throw new InfrastructureError(
        `${this.node.path}: retryAttempts must be an integer above CONSUMER_MAX_ATTEMPTS (${maxAttempts})`,
      );
    }

    const ownTables: Record<string, dynamodb.ITable> = {
      ...(props.tables as Record<string, dynamodb.ITable>),
      DEAD_LETTER_TABLE_NAME: props.deadLetters,
    };
    if ('IDEMPOTENCY_TABLE_NAME' in contract.tables) {
      this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiration',
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy,
      });
      ownTables.IDEMPOTENCY_TABLE_NAME = this.idempotencyTable;
    }

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

    this.fn = new ServiceFunction<C>(this, 'Function', {
      contract,
      tables: ownTables as TablesOf<C>,
      ...(props.settings === undefined ? {} : { settings: props.settings }),
      description: `${service}: consumes ${topics.join(', ')}`,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      logRemovalPolicy: removalPolicy,
    } as ServiceFunctionProps<C>);
    // The consumer framework parks records and retries them on a schedule (per-record consumers).
    const parks = 'IDEMPOTENCY_TABLE_NAME' in contract.tables;
    if (parks) {
      Validations.of(this.fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by its MSK event source mappings (failed batches go to the on-failure queue) and asynchronously by its one-minute schedule, whose runs retry parked records that stay in the dead-letter table until done; a failed run is repeated by the next one, so a dead-letter queue would hold nothing to act on.',
      });
    } else {
      acknowledgeSynchronousInvocation(
        this.fn,
        'its MSK event source mappings, whose failed batches go to the on-failure queue',
      );
    }
    grantDeadLetterWrites(this.fn, props.deadLetters, service);

    this.consumerGroups = topics.map((topic) => consumerGroupId(service, topic));
    this.eventSources = topics.map((topic) => {
      const source = new ManagedKafkaEventSource({
        clusterArn: props.kafka.clusterArn,
        topic,
        consumerGroupId: consumerGroupId(service, topic),
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow,
        provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 3 },
        retryAttempts,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.onFailureQueue),
      });
      this.fn.addEventSource(source);
      return source;
    });

    // Every minute the consumer retries the records it parked (transient failures, redrives).
    if (parks) {
      grantTableActions(this.fn, props.deadLetters, ['dynamodb:Query'], { indexName: PARKED_INDEX });
      this.parkedSweep = new events.Rule(this, 'ParkedSweep', {
        description: `Retries the records the ${service} consumer parked`,
        schedule: events.Schedule.rate(Duration.minutes(1)),
        targets: [
          new targets.LambdaFunction(this.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
        ],
      });
      Validations.of(this.parkedSweep).acknowledge({
        id: 'Serverless-EventBusDLQ',
        reason:
          'A sweep run that fails is repeated by the next one a minute later; the parked records stay in the dead-letter table until done, so an undelivered schedule event holds nothing to keep.',
      });
    }

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
        resources: topics.map((topic) => kafkaTopicArn(props.kafka.clusterArn, topic)),
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
        `${service} consumer: the event source mapping gave up on batches (see the on-failure queue)`,
        this.onFailureQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
      alarmAboveZero(
        this,
        'DeadLettersAlarm',
        `${service} consumer: records were dead-lettered (GET /admin/dead-letters)`,
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'EventsDeadLettered',
          dimensionsMap: { service },
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
      ),
      new cloudwatch.Alarm(this, 'ParkedAlarm', {
        alarmDescription: `${service} consumer: records stay parked (a dependency is down or an event cannot proceed) for 15 minutes`,
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'ParkedDue',
          dimensionsMap: { service },
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MINIMUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'OffsetLagAlarm', {
        alarmDescription: `${service} consumer: more than 1000 records behind for 15 minutes`,
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
