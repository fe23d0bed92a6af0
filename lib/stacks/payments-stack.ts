import { CfnOutput, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { CheckStatusFn, PaymentConsumerFn } from '#functions/payments/contract';
import type { KafkaConsumer } from '../constructs/kafka-consumer';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { PaymentStatusWorkflow } from '../constructs/payment-status-workflow';
import { acknowledgeSynchronousInvocation, type ServiceFunction } from '../constructs/service-function';
import { ServiceStack, type ServiceStackProps } from './service-stack';

export interface PaymentsStackProps extends ServiceStackProps {
  /** Base URL of the PSP API: the mock PSP on the REST API, or `pspBaseUrl` for a live PSP. */
  readonly pspBaseUrl: string;
  /** PSP call timeout (`PSP_TIMEOUT_MS`); the contract's default when unset. */
  readonly pspTimeoutMs?: number;
  /** Authorization calls per event (`PSP_MAX_ATTEMPTS`); the contract's default when unset. */
  readonly pspMaxAttempts?: number;
  /** How long a payment may await its status (`PAYMENT_DEADLINE_SECONDS`); the contract's default when unset. */
  readonly deadlineSeconds?: number;
}

/**
 * The payment service: consumes `inventory.events` (StockReserved authorizes the amount at the PSP,
 * with the per-seller split), keeps payments and its outbox in its own `payments` table published to
 * `payments.events`, and runs the payment status workflow for outcomes not final after the short
 * in-call retries.
 */
export class PaymentsStack extends ServiceStack {
  readonly paymentsTable: dynamodb.Table;
  readonly outbox: OutboxRelay;
  readonly consumer: KafkaConsumer<typeof PaymentConsumerFn>;
  readonly statusFunction: ServiceFunction<typeof CheckStatusFn>;
  readonly workflow: PaymentStatusWorkflow;

  constructor(scope: Construct, id: string, props: PaymentsStackProps) {
    super(scope, id, 'payments', props);
    const psp = {
      PSP_BASE_URL: props.pspBaseUrl,
      ...(props.pspTimeoutMs === undefined ? {} : { PSP_TIMEOUT_MS: props.pspTimeoutMs }),
      ...(props.pspMaxAttempts === undefined ? {} : { PSP_MAX_ATTEMPTS: props.pspMaxAttempts }),
    };
    const deadlineSeconds = PaymentConsumerFn.settings.shape.PAYMENT_DEADLINE_SECONDS.parse(
      props.deadlineSeconds,
    );

    ({ table: this.paymentsTable, outbox: this.outbox } = this.addOutboxTable('PaymentsTable'));

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
      tables: { PAYMENTS_TABLE_NAME: this.paymentsTable },
      settings: {
        ...psp,
        PAYMENT_DEADLINE_SECONDS: deadlineSeconds,
        PAYMENT_WORKFLOW_ARN: this.workflow.stateMachine.stateMachineArn,
      },
      // Each record may take a few PSP calls with timeouts: small batches, a longer timeout.
      batchSize: 10,
      timeout: Duration.seconds(120),
    });
    this.workflow.stateMachine.grantStartExecution(this.consumer.fn);

    this.alarms.push(
      ...this.workflow.alarms,
      this.errorsAlarm(
        'CheckStatusErrorsAlarm',
        this.statusFunction,
        'Payment status task: invocations fail (the workflow retries them)',
      ),
    );
    new CfnOutput(this, 'PaymentsTableName', { value: this.paymentsTable.tableName });
    new CfnOutput(this, 'PaymentWorkflowArn', { value: this.workflow.stateMachine.stateMachineArn });
  }
}
