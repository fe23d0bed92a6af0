import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ServiceName } from '#platform/contract';
import { OutboxRelayFn, OutboxSweeperFn } from '#platform/outbox/contract';
import { InfrastructureError } from '../errors';
import { alarmAboveZero } from './alarms';
import type { KafkaConnection } from './kafka-connection';
import {
  acknowledgeSynchronousInvocation,
  grantTableActions,
  METRICS_NAMESPACE,
  ServiceFunction,
} from './service-function';

/** Partition keys of outbox rows (`OUTBOX#<aggregateId>`), the only items relays and sweepers write. */
export const OUTBOX_KEY_PATTERN = 'OUTBOX#*';

/** Name of the sparse index of rows not yet published (see docs/architecture.md). */
export const UNPUBLISHED_INDEX_NAME = 'unpublished';

/**
 * Stream filter: inserted outbox rows (events redriven or put by hand) reach the relay; rows the
 * relay itself wrote, for the sweeper (`spilledAt`) or kept for investigation (`quarantinedAt`), do not.
 */
export const OUTBOX_INSERT_FILTER = lambda.FilterCriteria.filter({
  eventName: lambda.FilterRule.isEqual('INSERT'),
  dynamodb: {
    NewImage: {
      entity: { S: lambda.FilterRule.isEqual('OUTBOX') },
      spilledAt: { S: lambda.FilterRule.notExists() },
      quarantinedAt: { S: lambda.FilterRule.notExists() },
    },
  },
});

/** Stream filter: state items written with events (their `outbox` attribute) reach the relay. */
export const OUTBOX_ATTRIBUTE_FILTER = lambda.FilterCriteria.filter({
  dynamodb: { NewImage: { outbox: { L: { M: { eventId: { S: lambda.FilterRule.exists() } } } } } },
});

export interface OutboxRelayProps {
  /**
   * The service table whose items carry their events (and holds outbox rows); it must have a stream
   * of new and old images and the `unpublished` index.
   */
  readonly table: dynamodb.ITable;
  /** The service that owns the table (`orders`, `inventory`, ...). */
  readonly serviceName: ServiceName;
  readonly kafka: KafkaConnection;
  /**
   * The only topics the relay and sweeper may write: the owning service's own topic (the dead-letter
   * table's relay republishes redriven records to any topic).
   */
  readonly topics: readonly string[];
  /** Age after which the sweeper republishes a row that is still unpublished (`OUTBOX_GRACE_SECONDS`). */
  readonly graceSeconds?: number;
  /** Stream records per relay invocation. @default 100 */
  readonly batchSize?: number;
  /**
   * Retries of a failing batch (bisected on each error) before it goes to the on-failure queue.
   * @default -1: until the stream records expire (`maxRecordAge`, the stream's 24 hours); a row that
   * can never be published does not fail the batch (it is quarantined), so only an unreachable or
   * failing Kafka keeps a batch retrying.
   */
  readonly retryAttempts?: number;
  /** Removal policy of the queues' and functions' log data. @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The transactional outbox publisher of one service table, written once for every service:
 *
 * - relay: the table's stream (items written with events, inserted outbox rows) drives
 *   `functions/platform/handlers/outbox-relay.ts`, which publishes the events to Kafka and keeps
 *   those that can never be published as quarantined rows. Events Kafka does not take are retried
 *   from the stream, in order, for the grace period; then the relay writes them as outbox rows for
 *   the sweeper. Failing invocations are bisected and retried while the stream keeps their records;
 *   then the batch's stream pointer goes to the on-failure queue;
 * - sweeper: every minute `functions/platform/handlers/outbox-sweeper.ts` republishes the rows still
 *   unpublished after the grace period (the events the relay handed over);
 * - alarms for every way this can fall behind, exposed as `alarms` for the observability stack.
 */
export class OutboxRelay extends Construct {
  readonly relayFunction: ServiceFunction<typeof OutboxRelayFn>;
  readonly sweeperFunction: ServiceFunction<typeof OutboxSweeperFn>;
  /** Stream batches the relay gave up on (pointers to the records, not the rows themselves). */
  readonly onFailureQueue: sqs.Queue;
  /** Failed scheduled sweeper invocations. */
  readonly sweeperDeadLetterQueue: sqs.Queue;
  readonly eventSource: DynamoEventSource;
  readonly schedule: events.Rule;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: OutboxRelayProps) {
    super(scope, id);
    if (props.table.tableStreamArn === undefined) {
      throw new InfrastructureError(
        `${this.node.path}: the outbox table needs a stream (NEW_AND_OLD_IMAGES)`,
      );
    }
    // A deployed sweeper must leave the relay time to publish first: at least 10 s of grace.
    const grace = OutboxSweeperFn.settings.shape.OUTBOX_GRACE_SECONDS.safeParse(props.graceSeconds);
    if (!grace.success || grace.data < 10) {
      throw new InfrastructureError(`${this.node.path}: graceSeconds must be an integer of at least 10`, {
        cause: grace.error,
      });
    }
    const graceSeconds = grace.data;
    const batchSize = props.batchSize ?? 100;
    const retryAttempts = props.retryAttempts ?? -1;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    this.onFailureQueue = this.deadLetterQueue(
      'RelayOnFailureQueue',
      removalPolicy,
      'the relay event source mapping (stream batches that exhausted their retries)',
    );
    // cdk-nag recognizes queues named in a Lambda or SQS dead-letter config, not event source mapping
    // destinations.
    Validations.of(this.onFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the on-failure destination of the relay event source mapping, i.e. a dead-letter queue; it has none itself.',
    });
    this.sweeperDeadLetterQueue = this.deadLetterQueue(
      'SweeperDeadLetterQueue',
      removalPolicy,
      'the sweeper schedule and its asynchronous invocations',
    );

    this.relayFunction = new ServiceFunction(this, 'Relay', {
      contract: OutboxRelayFn,
      service: props.serviceName,
      tables: { OUTBOX_TABLE_NAME: props.table },
      description: `Publishes the events of ${props.serviceName} table writes from the table stream to Kafka`,
      memorySize: 512,
      timeout: Duration.seconds(60),
      logRemovalPolicy: removalPolicy,
      settings: { OUTBOX_GRACE_SECONDS: graceSeconds },
      kafka: {
        connection: props.kafka,
        access: 'produce',
        clientId: `order-saga-${props.serviceName}-relay`,
        topics: props.topics,
      },
    });
    // Spilling an event and marking a row published touch outbox rows only.
    grantTableActions(this.relayFunction, props.table, ['dynamodb:PutItem', 'dynamodb:UpdateItem'], {
      leadingKeys: [OUTBOX_KEY_PATTERN],
    });
    acknowledgeSynchronousInvocation(
      this.relayFunction,
      'its DynamoDB stream event source mapping, whose failures go to the on-failure queue',
    );

    this.eventSource = new DynamoEventSource(props.table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize,
      bisectBatchOnError: true,
      retryAttempts,
      maxRecordAge: Duration.hours(24),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.onFailureQueue),
      filters: [OUTBOX_ATTRIBUTE_FILTER, OUTBOX_INSERT_FILTER],
    });
    this.relayFunction.addEventSource(this.eventSource);

    this.sweeperFunction = new ServiceFunction(this, 'Sweeper', {
      contract: OutboxSweeperFn,
      service: props.serviceName,
      tables: { OUTBOX_TABLE_NAME: props.table },
      description: `Republishes ${props.serviceName} outbox rows still unpublished after ${graceSeconds} s`,
      memorySize: 512,
      timeout: Duration.seconds(55),
      logRemovalPolicy: removalPolicy,
      deadLetterQueue: this.sweeperDeadLetterQueue,
      settings: { OUTBOX_GRACE_SECONDS: graceSeconds },
      kafka: {
        connection: props.kafka,
        access: 'produce',
        clientId: `order-saga-${props.serviceName}-sweeper`,
        topics: props.topics,
      },
    });
    grantTableActions(this.sweeperFunction, props.table, ['dynamodb:Query'], {
      indexName: UNPUBLISHED_INDEX_NAME,
    });
    grantTableActions(this.sweeperFunction, props.table, ['dynamodb:UpdateItem'], {
      leadingKeys: [OUTBOX_KEY_PATTERN],
    });

    this.schedule = new events.Rule(this, 'SweeperSchedule', {
      description: `Runs the ${props.serviceName} outbox sweeper every minute`,
      schedule: events.Schedule.expression('rate(1 minute)'),
      targets: [
        new targets.LambdaFunction(this.sweeperFunction, {
          deadLetterQueue: this.sweeperDeadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });

    this.alarms = [
      alarmAboveZero(
        this,
        'OnFailureQueueAlarm',
        `${props.serviceName} outbox: the relay gave up on stream batches; events it had not handed to the sweeper are in those stream records only (replay them from the stream while it keeps them; investigate the relay)`,
        this.onFailureQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
      alarmAboveZero(
        this,
        'RelayErrorsAlarm',
        `${props.serviceName} outbox: the relay function fails (it could not keep an unpublishable event, or it crashed); Kafka being unreachable shows as iterator age instead`,
        this.relayFunction.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ),
      new cloudwatch.Alarm(this, 'RelayIteratorAgeAlarm', {
        alarmDescription: `${props.serviceName} outbox: the relay is more than 60 s behind the table stream`,
        metric: this.relayFunction.metric('IteratorAge', {
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 60_000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      alarmAboveZero(
        this,
        'QuarantineAlarm',
        `${props.serviceName} outbox: rows that can never be published were quarantined (see the relay and sweeper logs, and the rows with quarantinedAt)`,
        new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'OutboxQuarantined',
          dimensionsMap: { service: props.serviceName },
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
      ),
      alarmAboveZero(
        this,
        'SweeperErrorsAlarm',
        `${props.serviceName} outbox: the sweeper fails, so unpublished rows are not being republished`,
        this.sweeperFunction.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ),
      alarmAboveZero(
        this,
        'SweeperDeadLetterAlarm',
        `${props.serviceName} outbox: scheduled sweeper runs failed for good`,
        this.sweeperDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
    ];
  }

  private deadLetterQueue(id: string, removalPolicy: RemovalPolicy, usedBy: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    Validations.of(queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: `This queue is the failure destination of ${usedBy}; nothing consumes it automatically, so there is nothing to redrive from it.`,
    });
    return queue;
  }
}
