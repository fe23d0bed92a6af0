import { type CfnElement, CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CheckStatusFn, PaymentConsumerFn, PaymentReconcilerFn } from '#functions/payments/contract';
import { RECONCILE_INDEX } from '#functions/payments/model';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { PaymentStatusWorkflow } from '../constructs/payment-status-workflow';
import {
  acknowledgeSynchronousInvocation,
  grantTableActions,
  METRICS_NAMESPACE,
  type ServiceFunction,
} from '../constructs/service-function';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface PaymentsStackProps extends ServiceStackProps {
  /** Base URL of the PSP API: the mock PSP's own API, or `pspBaseUrl` for a live PSP. */
  readonly pspBaseUrl: string;
  /**
   * The secret holding the PSP API key: the mock PSP's, or the complete ARN of a live PSP's
   * (`pspApiKeySecret`), imported here.
   */
  readonly pspApiKeySecret: secretsmanager.ISecret | string;
  /** PSP call timeout (`PSP_TIMEOUT_MS`); the contract's default when unset. */
  readonly pspTimeoutMs?: number;
  /** Authorization calls per event (`PSP_MAX_ATTEMPTS`); the contract's default when unset. */
  readonly pspMaxAttempts?: number;
  /** How long a payment may await its status (`PAYMENT_DEADLINE_SECONDS`); the contract's default when unset. */
  readonly deadlineSeconds?: number;
}

/** How often the payment reconciler runs. */
export const RECONCILE_SCHEDULE = 'rate(5 minutes)';

/**
 * The longest one StockReserved may take: every PSP attempt up to its timeout, the backoff ceilings
 * between them, and a second for the payment's own writes and the workflow start.
 */
export function pspRecordBudget(settings: {
  PSP_MAX_ATTEMPTS: number;
  PSP_TIMEOUT_MS: number;
  PSP_RETRY_BASE_MS: number;
}): Duration {
  const attempts = settings.PSP_MAX_ATTEMPTS;
  const backoff = settings.PSP_RETRY_BASE_MS * (2 ** Math.max(0, attempts - 1) - 1);
  return Duration.millis(attempts * settings.PSP_TIMEOUT_MS + backoff + 1_000);
}

/**
 * The payment service: consumes `inventory.events` (StockReserved authorizes the amount at the PSP,
 * with the per-seller split) and `orders.events` (PaymentReversalRequested voids or refunds the payment
 * of a cancelled order), keeps payments and its outbox in its own `payments` table published to
 * `payments.events`, runs the payment status workflow for outcomes not final after the short in-call
 * retries, and a scheduled reconciler for payments left open past their deadline or owing a release
 * (sparse `reconcile` index of the payments table).
 */
export class PaymentsStack extends ServiceStack {
  readonly paymentsTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly consumer: KafkaConsumer<typeof PaymentConsumerFn>;
  readonly statusFunction: ServiceFunction<typeof CheckStatusFn>;
  readonly workflow: PaymentStatusWorkflow;
  readonly reconciler: ServiceFunction<typeof PaymentReconcilerFn>;
  readonly reconcileSchedule: events.Rule;
  readonly reconcilerDeadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PaymentsStackProps) {
    super(scope, id, 'payments', props);
    const apiKeySecret =
      typeof props.pspApiKeySecret === 'string'
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'PspApiKeySecret', props.pspApiKeySecret)
        : props.pspApiKeySecret;
    const psp = {
      PSP_BASE_URL: props.pspBaseUrl,
      PSP_API_KEY_SECRET: apiKeySecret.secretArn,
      ...(props.pspTimeoutMs === undefined ? {} : { PSP_TIMEOUT_MS: props.pspTimeoutMs }),
      ...(props.pspMaxAttempts === undefined ? {} : { PSP_MAX_ATTEMPTS: props.pspMaxAttempts }),
    };
    const deadlineSeconds = PaymentConsumerFn.settings.shape.PAYMENT_DEADLINE_SECONDS.parse(
      props.deadlineSeconds,
    );

    ({ table: this.paymentsTable, outbox: this.outbox } = this.addOutboxTable('PaymentsTable'));
    // Sparse: only payments with work left (open, or a release owed) carry `reconcileShard`.
    this.paymentsTable.addGlobalSecondaryIndex({
      indexName: RECONCILE_INDEX,
      partitionKey: { name: 'reconcileShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'reconcileAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['paymentId'],
    });

    this.statusFunction = this.addFunction('CheckStatus', {
      contract: CheckStatusFn,
      tables: { PAYMENTS_TABLE_NAME: this.paymentsTable },
      settings: psp,
      timeout: Duration.seconds(20),
    });
    acknowledgeSynchronousInvocation(
      this.statusFunction,
      'the payment status workflow (Step Functions task)',
    );

    this.workflow = new PaymentStatusWorkflow(this, 'StatusWorkflow', {
      statusFunction: this.statusFunction,
      deadline: Duration.seconds(deadlineSeconds),
      removalPolicy: this.removalPolicy,
    });

    this.consumer = this.addConsumer('Consumer', {
      contract: PaymentConsumerFn,
      // On the critical path of POST → CONFIRMED: invoked as soon as records arrive (no batching
      // window); under load the backlog fills batches by itself.
      maxBatchingWindow: Duration.seconds(0),
      tables: { PAYMENTS_TABLE_NAME: this.paymentsTable },
      settings: {
        ...psp,
        PAYMENT_DEADLINE_SECONDS: deadlineSeconds,
        PAYMENT_WORKFLOW_ARN: this.workflow.stateMachine.stateMachineArn,
      },
      // Each record may take every PSP attempt up to its timeout, with backoff in between: the batch
      // size is derived so that a batch of such records fits the timeout.
      recordBudget: pspRecordBudget(
        PaymentConsumerFn.settings
          .pick({ PSP_MAX_ATTEMPTS: true, PSP_TIMEOUT_MS: true, PSP_RETRY_BASE_MS: true })
          .parse(psp),
      ),
      timeout: Duration.seconds(120),
    });
    this.workflow.stateMachine.grantStartExecution(this.consumer.fn);
    // An execution name that exists already is described: a restart needs to know it ended.
    this.workflow.stateMachine.grantExecution(this.consumer.fn, 'states:DescribeExecution');
    const machineId = this.getLogicalId(this.workflow.stateMachine.node.defaultChild as CfnElement);
    Validations.of(this.consumer.fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}:*]`,
      reason:
        'states:DescribeExecution on the executions of the payment status workflow only: execution names are per payment (and run), so they cannot be listed in the policy.',
    });

    this.reconcilerDeadLetterQueue = new sqs.Queue(this, 'ReconcilerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: this.removalPolicy,
    });
    Validations.of(this.reconcilerDeadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the failure destination of the reconciler schedule; nothing consumes it automatically (the next scheduled run covers the same payments), so there is nothing to redrive from it.',
    });
    this.reconciler = this.addFunction('Reconciler', {
      contract: PaymentReconcilerFn,
      tables: { PAYMENTS_TABLE_NAME: this.paymentsTable },
      settings: psp,
      timeout: Duration.minutes(4),
      deadLetterQueue: this.reconcilerDeadLetterQueue,
    });
    grantTableActions(this.reconciler, this.paymentsTable, ['dynamodb:Query'], {
      indexName: RECONCILE_INDEX,
    });
    this.reconcileSchedule = new events.Rule(this, 'ReconcilerSchedule', {
      description: 'Runs the payment reconciler every 5 minutes',
      schedule: events.Schedule.expression(RECONCILE_SCHEDULE),
      targets: [
        new targets.LambdaFunction(this.reconciler, {
          deadLetterQueue: this.reconcilerDeadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });
    // The PSP callers read the API key, and no other secret.
    for (const caller of [this.consumer.fn, this.statusFunction, this.reconciler])
      apiKeySecret.grantRead(caller);

    this.alarms.push(
      ...this.workflow.alarms,
      this.errorsAlarm(
        'CheckStatusErrorsAlarm',
        this.statusFunction,
        'Payment status task: invocations fail (the workflow retries them)',
      ),
      alarmAboveZero(
        this,
        'ReconcilerFoundWorkAlarm',
        'Payment reconciler: payments were left open past their deadline or owing a void/refund (a crash, a failed workflow or a PSP outage); see its log',
        this.reconcilerMetric('PaymentsReconcileFound'),
      ),
      alarmAboveZero(
        this,
        'ReconcilerDeferredAlarm',
        'Payment reconciler: payments could not be finished because the PSP did not answer; they are retried every run',
        this.reconcilerMetric('PaymentsReconcileDeferred'),
      ),
      this.errorsAlarm(
        'ReconcilerErrorsAlarm',
        this.reconciler,
        'Payment reconciler: runs fail (payments may stay open or unreleased)',
      ),
      alarmAboveZero(
        this,
        'ReconcilerDeadLetterAlarm',
        'Payment reconciler: scheduled runs failed for good',
        this.reconcilerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
      ),
    );
    new CfnOutput(this, 'PaymentsTableName', { value: this.paymentsTable.tableName });
    new CfnOutput(this, 'PaymentWorkflowArn', { value: this.workflow.stateMachine.stateMachineArn });
  }

  /** A business metric of the reconciler (namespace `OrderSaga`, dimension `service=payments`), summed over 5 minutes. */
  private reconcilerMetric(name: keyof typeof PaymentReconcilerFn.metrics & string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: this.service },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
  }
}
