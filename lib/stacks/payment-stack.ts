import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { Topics } from '../../events/topics';
import { type AppConfig, removalPolicyFor } from '../config';
import { alarmAboveZero } from '../constructs/alarms';
import type { KafkaConnection } from '../constructs/kafka-connection';
import { KafkaConsumer } from '../constructs/kafka-consumer';
import { OutboxRelay } from '../constructs/outbox-relay';
import { createOutboxTable } from '../constructs/outbox-table';
import { PaymentStatusWorkflow } from '../constructs/payment-status-workflow';
import { acknowledgeSynchronousInvocation, bindTable, ServiceFunction } from '../constructs/service-function';
import type { LabelledFunction } from './order-service-stack';

export interface PaymentStackProps extends StackProps {
  readonly config: AppConfig;
  readonly kafka: KafkaConnection;
  /** The dead-letter table (messaging stack). */
  readonly deadLetters: dynamodb.ITable;
  /** Base URL of the PSP API: the mock PSP on the REST API, or `pspBaseUrl` for a live PSP. */
  readonly pspBaseUrl: string;
  /** PSP call timeout (`PSP_TIMEOUT_MS`). @default 2000 */
  readonly pspTimeoutMs?: number;
  /** Authorization calls per event (`PSP_MAX_ATTEMPTS`). @default 3 */
  readonly pspMaxAttempts?: number;
  /** How long a payment may await its status (`PAYMENT_DEADLINE_SECONDS`). @default 900 */
  readonly deadlineSeconds?: number;
}

const SERVICE = 'payments';

/**
 * The payment service: consumes `inventory.events` (StockReserved authorizes the amount at the PSP,
 * with the per-seller split), keeps payments and its outbox in its own `payments` table published to
 * `payments.events`, and runs the payment status workflow for outcomes not final after the short
 * in-call retries.
 */
export class PaymentStack extends Stack {
  readonly paymentsTable: dynamodb.Table;
  readonly consumer: KafkaConsumer;
  readonly statusFunction: ServiceFunction;
  readonly workflow: PaymentStatusWorkflow;
  readonly outbox: OutboxRelay;
  readonly functions: LabelledFunction[];
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PaymentStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyFor(config);
    const deadlineSeconds = props.deadlineSeconds ?? 900;
    const pspEnvironment = {
      PSP_BASE_URL: props.pspBaseUrl,
      PSP_TIMEOUT_MS: String(props.pspTimeoutMs ?? 2000),
      PSP_MAX_ATTEMPTS: String(props.pspMaxAttempts ?? 3),
    };

    this.paymentsTable = createOutboxTable(this, 'PaymentsTable', {
      removalPolicy,
      deletionProtection: config.stage === 'prod',
    });
    this.outbox = new OutboxRelay(this, 'Outbox', {
      table: this.paymentsTable,
      serviceName: SERVICE,
      kafka: props.kafka,
      removalPolicy,
    });

    this.statusFunction = new ServiceFunction(this, 'CheckStatus', {
      entry: 'payments/handlers/check-status.ts',
      serviceName: SERVICE,
      description: 'Payment status workflow task: checks the PSP, settles, or fails at the deadline',
      timeout: Duration.seconds(20),
      environment: pspEnvironment,
      logRemovalPolicy: removalPolicy,
    });
    bindTable(this.statusFunction, this.paymentsTable, 'PAYMENTS_TABLE_NAME', 'readWrite');
    acknowledgeSynchronousInvocation(
      this.statusFunction,
      'the payment status workflow (Step Functions task)',
    );

    this.workflow = new PaymentStatusWorkflow(this, 'StatusWorkflow', {
      statusFunction: this.statusFunction,
      deadline: Duration.seconds(deadlineSeconds),
      removalPolicy,
    });

    this.consumer = new KafkaConsumer(this, 'Consumer', {
      entry: 'payments/handlers/consumer.ts',
      service: SERVICE,
      kafka: props.kafka,
      topics: [Topics.inventory],
      deadLetters: props.deadLetters,
      // Each record may take a few PSP calls with timeouts: small batches, a longer timeout.
      batchSize: 10,
      timeout: Duration.seconds(120),
      environment: {
        ...pspEnvironment,
        PAYMENT_DEADLINE_SECONDS: String(deadlineSeconds),
        PAYMENT_WORKFLOW_ARN: this.workflow.stateMachine.stateMachineArn,
      },
      removalPolicy,
    });
    bindTable(this.consumer.fn, this.paymentsTable, 'PAYMENTS_TABLE_NAME', 'readWrite');
    this.workflow.stateMachine.grantStartExecution(this.consumer.fn);

    this.functions = [
      { label: 'payments-consumer', fn: this.consumer.fn },
      { label: 'payments-check-status', fn: this.statusFunction },
      { label: 'payments-relay', fn: this.outbox.relayFunction },
      { label: 'payments-sweeper', fn: this.outbox.sweeperFunction },
    ];
    const errorsAlarm = (id: string, fn: ServiceFunction, description: string) =>
      alarmAboveZero(
        this,
        id,
        description,
        fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      );
    this.alarms = [
      ...this.outbox.alarms,
      ...this.consumer.alarms,
      ...this.workflow.alarms,
      errorsAlarm(
        'ConsumerErrorsAlarm',
        this.consumer.fn,
        'Payment consumer: invocations fail (batches are retried; events may dead-letter)',
      ),
      errorsAlarm(
        'CheckStatusErrorsAlarm',
        this.statusFunction,
        'Payment status task: invocations fail (the workflow retries them)',
      ),
    ];
    new CfnOutput(this, 'PaymentsTableName', { value: this.paymentsTable.tableName });
    new CfnOutput(this, 'PaymentWorkflowArn', { value: this.workflow.stateMachine.stateMachineArn });
  }
}
