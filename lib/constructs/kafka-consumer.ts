import {
  ArnFormat,
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { ManagedKafkaEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CONSUMER_TABLES } from '#platform/consumer/contract';
import { PARKED_INDEX } from '#platform/consumer/parking';
import { type AnyContract, type ServiceName, topicsOf } from '#platform/contract';
import { DiscardedBatchesFn } from '#platform/discarded/contract';
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
  /**
   * The consumer's own tables (the idempotency table, when the contract reads one, is created here; the
   * dead-letter table is given).
   */
  readonly tables: Omit<TablesOf<C>, keyof typeof CONSUMER_TABLES>;
  readonly settings?: SettingsOf<C>;
  /**
   * Records per invocation. @default 100, or as many as fit the timeout when `recordBudget` is given
   */
  readonly batchSize?: number;
  /**
   * The longest one record may take, for a consumer that calls out (e.g. PSP attempts × PSP timeout
   * plus backoff). The batch size is derived from it so that a whole batch fits in nine tenths of the
   * function timeout; a `batchSize` that does not fit is refused.
   */
  readonly recordBudget?: Duration;
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

/** Records per invocation when neither a batch size nor a record budget is given. */
const DEFAULT_BATCH_SIZE = 100;

/**
 * The batch size of a consumer: `requested` (or the default), no more than the records whose
 * `recordBudget` fits in nine tenths of `timeout` (the tenth left for the batch's own work and the
 * response). Throws when not even one record fits, or when `requested` does not.
 */
export function batchSizeWithin(
  path: string,
  timeout: Duration,
  recordBudget: Duration | undefined,
  requested: number | undefined,
): number {
  if (recordBudget === undefined) return requested ?? DEFAULT_BATCH_SIZE;
  const fitting = Math.floor((timeout.toMilliseconds() * 0.9) / recordBudget.toMilliseconds());
  if (fitting < 1) {
    throw new InfrastructureError(
      `${path}: one record may take ${recordBudget.toMilliseconds()} ms, more than the timeout allows`,
    );
  }
  if (requested !== undefined && requested > fitting) {
    throw new InfrastructureError(
      `${path}: a batch of ${requested} records of up to ${recordBudget.toMilliseconds()} ms each does not fit in the ${timeout.toSeconds()} s timeout (at most ${fitting})`,
    );
  }
  return requested ?? Math.min(DEFAULT_BATCH_SIZE, fitting);
}

/**
 * The settings of one Kafka event source mapping, as the stacks export them when a bridge runs the
 * mappings (`kafkaEventSources=bridge`): a stack output whose key starts with `KafkaMapping` and
 * whose value is this object as JSON. `localstack/bridge/` reads it.
 */
export interface BridgedKafkaMapping {
  functionName: string;
  functionArn: string;
  topic: string;
  consumerGroupId: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  /** The on-failure destination the MSK mapping would have (the consumer's queue). */
  onFailureDestination: string;
}

/**
 * The consumer groups of replays of a group: a second mapping of the same function and topic, from
 * the start, in the group `<group>-replay-<id>` (what `npm run chaos` creates to deliver a topic again).
 */
export const replayGroupPattern = (group: string) => `${group}-replay-*`;

/** Prefix of the stack outputs that carry bridged mappings. */
export const BRIDGED_MAPPING_OUTPUT_PREFIX = 'KafkaMapping';

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
 *   provisioned mode), partial batch responses (`ReportBatchItemFailures`), bounded retries with
 *   bisection, and an S3 on-failure destination, which keeps the records themselves (the pollers run
 *   in the cluster's VPC: the network stack gives it an S3 gateway endpoint); each object it gets is
 *   recorded in the dead-letter table by a function of its own, record by record, values included;
 * - its own Powertools idempotency table (`IDEMPOTENCY_TABLE_NAME`: `id`, TTL `expiration`) when its
 *   contract reads one (not for `idempotency: 'handler'`), and the shared dead-letter table
 *   (`DEAD_LETTER_TABLE_NAME`);
 * - IAM for the mappings scoped to this consumer's topics and groups.
 */
export class KafkaConsumer<C extends AnyContract = AnyContract> extends Construct {
  readonly fn: ServiceFunction<C>;
  /** The consumer's Powertools idempotency table, when its contract reads one. */
  readonly idempotencyTable?: dynamodb.Table;
  /**
   * The on-failure destination of the event source mappings: an object per batch they gave up on,
   * with the whole invocation payload, so the records themselves are kept.
   */
  readonly discardedBatches: s3.Bucket;
  /** Records each discarded batch in the dead-letter table, each record with its value. */
  readonly discardedBatchesFunction: ServiceFunction<typeof DiscardedBatchesFn>;
  /** Notifications of discarded batches the recorder failed on for good (the objects stay). */
  readonly discardedBatchesDeadLetterQueue: sqs.Queue;
  /** The MSK event source mappings (none when a bridge runs them). */
  readonly eventSources: ManagedKafkaEventSource[];
  /** The mappings' settings, exported for a bridge (`kafkaEventSources=bridge`); none otherwise. */
  readonly bridgedMappings: BridgedKafkaMapping[];
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
    const timeout = props.timeout ?? Duration.seconds(60);
    const batchSize = batchSizeWithin(this.node.path, timeout, props.recordBudget, props.batchSize);
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

    this.fn = new ServiceFunction<C>(this, 'Function', {
      contract,
      tables: ownTables as TablesOf<C>,
      ...(props.settings === undefined ? {} : { settings: props.settings }),
      description: `${service}: consumes ${topics.join(', ')}`,
      memorySize: props.memorySize ?? 512,
      timeout,
      logRemovalPolicy: removalPolicy,
    } as ServiceFunctionProps<C>);
    // The consumer framework parks records and retries them on a schedule (per-record consumers,
    // with or without Powertools idempotency: those whose contract has the framework's settings).
    const parks = attemptsSetting !== undefined;
    if (parks) {
      Validations.of(this.fn).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by its MSK event source mappings (discarded batches go to the discarded-batch bucket) and asynchronously by its one-minute schedule, whose runs retry parked records that stay in the dead-letter table until done; a failed run is repeated by the next one, so a dead-letter queue would hold nothing to act on.',
      });
    } else {
      acknowledgeSynchronousInvocation(
        this.fn,
        'its MSK event source mappings, whose discarded batches go to the discarded-batch bucket',
      );
    }
    grantDeadLetterWrites(this.fn, props.deadLetters, service);
    this.discardedBatches = this.discardedBatchBucket();
    this.discardedBatchesDeadLetterQueue = new sqs.Queue(this, 'DiscardedBatchesDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(this.discardedBatchesDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the on-failure destination of the discarded-batch recorder, i.e. a dead-letter queue; it has none itself.',
    });
    Validations.of(this.discardedBatchesDeadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the dead-letter queue of the discarded-batch recorder; it holds S3 notifications for investigation (the objects stay in the bucket), nothing consumes it automatically.',
    });
    this.discardedBatchesFunction = this.discardedBatchRecorder(service, props.deadLetters, removalPolicy);
    this.acknowledgeObjectAccess(this.fn, 'writes the batches its event source mappings discard');

    this.consumerGroups = topics.map((topic) => consumerGroupId(service, topic));
    const bridged = props.kafka.eventSources === 'bridge';
    this.bridgedMappings = bridged
      ? topics.map((topic) => {
          const mapping: BridgedKafkaMapping = {
            functionName: this.fn.functionName,
            functionArn: this.fn.functionArn,
            topic,
            consumerGroupId: consumerGroupId(service, topic),
            startingPosition: 'TRIM_HORIZON',
            batchSize,
            maximumBatchingWindowInSeconds: maxBatchingWindow.toSeconds(),
            maximumRetryAttempts: retryAttempts,
            bisectBatchOnFunctionError: true,
            reportBatchItemFailures: true,
            onFailureDestination: this.discardedBatches.bucketArn,
          };
          new CfnOutput(this, `Bridged${topic.replace(/[^A-Za-z0-9]/g, '')}`, {
            key: `${BRIDGED_MAPPING_OUTPUT_PREFIX}${service.replace(/[^A-Za-z0-9]/g, '')}${topic.replace(/[^A-Za-z0-9]/g, '')}`,
            description: `The ${service} consumer's Kafka event source mapping of ${topic}, for the bridge`,
            value: Stack.of(this).toJsonString(mapping),
          });
          return mapping;
        })
      : [];
    this.eventSources = (bridged ? [] : topics).map((topic) => {
      const source = new ManagedKafkaEventSource({
        clusterArn: props.kafka.clusterArn,
        topic,
        consumerGroupId: consumerGroupId(service, topic),
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize,
        maxBatchingWindow,
        provisionedPollerConfig: {
          minimumPollers: 1,
          maximumPollers: 3,
          ...(props.kafka.pollerGroupName === undefined
            ? {}
            : { pollerGroupName: props.kafka.pollerGroupName }),
        },
        // Lag and throughput per mapping (one consumer group each), for the consumer-lag panels.
        metricsConfig: { metrics: [lambda.MetricType.KAFKA_METRICS] },
        retryAttempts,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new S3DiscardedBatches(this.discardedBatches),
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
    // A replay (a second mapping of a topic from the start, `npm run chaos`) reads in a group of its
    // own, `<group>-replay-<id>`: granted by name in any cluster of the account (the cluster's own ARN
    // is a cross-stack token, which a cdk-nag acknowledgement cannot name).
    const stack = Stack.of(this);
    const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
    const replayGroups = this.consumerGroups.map((group) => ({
      arn: stack.formatArn({
        service: 'kafka',
        resource: 'group',
        resourceName: `*/*/${replayGroupPattern(group)}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
      finding: `arn:${literal(stack.partition, 'AWS::Partition')}:kafka:${literal(stack.region, 'AWS::Region')}:${literal(stack.account, 'AWS::AccountId')}:group/*/*/${replayGroupPattern(group)}`,
    }));
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'MskConsumerReplayGroups',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: replayGroups.map((group) => group.arn),
      }),
    );
    for (const { finding } of replayGroups)
      Validations.of(this.fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${finding}]`,
        reason:
          'Only the consumer groups of replays of this consumer’s own groups (`<group>-replay-<id>`): a second event source mapping that delivers a topic again from the start in a group of its own, as the chaos tool creates one; DescribeGroup and AlterGroup, nothing else.',
      });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]',
      reason:
        'Attached by ManagedKafkaEventSource: the documented execution policy of MSK event source mappings (describe the cluster, bootstrap brokers, and the network interfaces the pollers create in the cluster VPC). Kafka data access is granted separately, scoped to this consumer’s topics and groups.',
    });

    this.alarms = [
      alarmAboveZero(
        this,
        'DiscardedBatchesNotRecordedAlarm',
        `${service} consumer: batches its event source mappings discarded could not be recorded as dead letters (see the queue; the objects are in the discarded-batch bucket)`,
        this.discardedBatchesDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
      alarmAboveZero(
        this,
        'DiscardedBatchesErrorsAlarm',
        `${service} consumer: recording a discarded batch failed (retried by Lambda)`,
        this.discardedBatchesFunction.metricErrors({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
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

  /** The on-failure destination: private, encrypted, TLS only, objects kept 30 days as dead letters are. */
  private discardedBatchBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'DiscardedBatches', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      // The records the platform failed to process are evidence: deleting a stack keeps them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the Lambda service writes this bucket (discarded batches of the event source mappings) and only the recording function reads it; its objects are copied into the dead-letter table. Server access logs would need a bucket of their own for no added evidence.',
    });
    // The mappings write as the consumer's role; Lambda names the objects, hence the wildcard.
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DiscardedBatchesWrite',
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DiscardedBatchesList',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
    return bucket;
  }

  /** The function that turns each object of the bucket into dead letters, invoked by S3 events. */
  private discardedBatchRecorder(
    service: ServiceName,
    deadLetters: dynamodb.ITable,
    removalPolicy: RemovalPolicy,
  ): ServiceFunction<typeof DiscardedBatchesFn> {
    const fn = new ServiceFunction(this, 'DiscardedBatchesFunction', {
      contract: DiscardedBatchesFn,
      service,
      tables: { DEAD_LETTER_TABLE_NAME: deadLetters },
      settings: { CONSUMER_SERVICE: service },
      description: `${service}: records the batches its Kafka mappings discarded as dead letters`,
      timeout: Duration.seconds(60),
      logRemovalPolicy: removalPolicy,
    });
    // New dead letters only (`DEADLETTER#...`), as every writer of the shared table.
    grantTableActions(fn, deadLetters, ['dynamodb:PutItem'], { leadingKeys: ['DEADLETTER#*'] });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DiscardedBatchesRead',
        actions: ['s3:GetObject'],
        resources: [this.discardedBatches.arnForObjects('*')],
      }),
    );
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.discardedBatchesDeadLetterQueue),
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Its asynchronous invocations (S3 notifications) that fail for good go to its on-failure destination, a queue, which also keeps the error; a dead-letter queue would duplicate it.',
    });
    this.acknowledgeObjectAccess(fn, 'reads the objects Lambda writes');
    this.discardedBatches.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn));
    // CDK puts the notification configuration with a function of its own, one per stack.
    const notificationsHandler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK’s own handler that puts bucket notification configurations (Custom::S3BucketNotifications); the managed policy only lets it write its logs.',
      });
    }
    return fn;
  }

  /** Lambda names the objects of the bucket, so object access is granted on all of them. */
  private acknowledgeObjectAccess(fn: lambda.Function, what: string): void {
    const bucketId = Stack.of(this).getLogicalId(this.discardedBatches.node.defaultChild as CfnElement);
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason: `The function ${what} in its consumer's discarded-batch bucket; Lambda names the objects, so they cannot be listed one by one.`,
    });
  }
}

/**
 * An S3 bucket as the on-failure destination of an MSK event source mapping. Unlike CDK's
 * `S3OnFailureDestination`, which grants the function read and write on the bucket, the grants
 * (PutObject on the objects, ListBucket) are made once by the consumer.
 */
class S3DiscardedBatches implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(): lambda.DlqDestinationConfig {
    return { destination: this.bucket.bucketArn };
  }
}
