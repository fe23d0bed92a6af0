import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { alarmAboveZero } from './alarms';

export interface PaymentStatusWorkflowProps {
  /** The status task function (`payments/check-status.ts`): actions `check` and `expire`. */
  readonly statusFunction: lambda.IFunction;
  /** How long a payment may await its status; the workflow's own timeout adds a margin. */
  readonly deadline: Duration;
  /** @default DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

const workflowInput = {
  paymentId: sfn.JsonPath.stringAt('$.paymentId'),
  orderId: sfn.JsonPath.stringAt('$.orderId'),
  deadline: sfn.JsonPath.stringAt('$.deadline'),
  correlationId: sfn.JsonPath.stringAt('$.correlationId'),
};

/** The error of the Fail state that leaves a payment the workflow could not finish to the reconciler. */
export const LEFT_TO_RECONCILER_ERROR = 'PaymentLeftToReconciler';

/**
 * The payment status workflow (Step Functions standard), started per payment with the execution name
 * = paymentId (`<paymentId>-<run>` for a restart) and input `{ paymentId, orderId, deadline,
 * waitSeconds, correlationId }`:
 *
 * Wait (SecondsPath `$.waitSeconds`) → CheckStatus (Lambda, result under `$.check`) → Choice:
 * settled → Succeed; deadline passed → FailPayment (Lambda, `expire`: voids and fails) → Succeed;
 * otherwise ScheduleNextCheck (`waitSeconds` = the check's growing `nextWaitSeconds`) → Wait.
 *
 * Both tasks retry; a CheckStatus that still fails is caught (error under `$.failure`) and goes to
 * WaitForDeadline (TimestampPath `$.deadline`) → FailPayment, so the payment still gets its answer at
 * its deadline; a FailPayment that still fails is caught and ends the execution in the Fail state
 * `LeftToReconciler` (error `PaymentLeftToReconciler`): the payment stays in the reconcile index and the
 * reconciler finishes it.
 */
export class PaymentStatusWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: PaymentStatusWorkflowProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    const wait = new sfn.Wait(this, 'WaitBeforeCheck', {
      comment: 'Growing intervals between status checks',
      time: sfn.WaitTime.secondsPath('$.waitSeconds'),
    });
    const check = new tasks.LambdaInvoke(this, 'CheckStatus', {
      comment: 'Asks the PSP; settles a final answer; reports the next wait and the deadline',
      lambdaFunction: props.statusFunction,
      payload: sfn.TaskInput.fromObject({
        action: 'check',
        ...workflowInput,
        waitSeconds: sfn.JsonPath.numberAt('$.waitSeconds'),
      }),
      resultSelector: {
        settled: sfn.JsonPath.stringAt('$.Payload.settled'),
        deadlinePassed: sfn.JsonPath.stringAt('$.Payload.deadlinePassed'),
        nextWaitSeconds: sfn.JsonPath.stringAt('$.Payload.nextWaitSeconds'),
        status: sfn.JsonPath.stringAt('$.Payload.status'),
      },
      resultPath: '$.check',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      retryOnServiceExceptions: true,
    });
    // Retries are short: the reconciler is behind every failure the catchers hand on.
    check.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const expire = new tasks.LambdaInvoke(this, 'FailPayment', {
      comment:
        'Deadline passed: voids what the PSP holds open and fails the payment (DEADLINE_EXCEEDED), unless the PSP settled it now',
      lambdaFunction: props.statusFunction,
      payload: sfn.TaskInput.fromObject({
        action: 'expire',
        ...workflowInput,
        waitSeconds: sfn.JsonPath.numberAt('$.waitSeconds'),
      }),
      resultSelector: { status: sfn.JsonPath.stringAt('$.Payload.status') },
      resultPath: '$.expired',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      retryOnServiceExceptions: true,
    });
    expire.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    expire.addCatch(
      new sfn.Fail(this, 'LeftToReconciler', {
        comment: 'The payment could not be finished here; the reconciler finishes it after its deadline',
        error: LEFT_TO_RECONCILER_ERROR,
        cause: 'The deadline step kept failing; the payment stays in the reconcile index',
      }),
      { errors: ['States.ALL'], resultPath: '$.failure' },
    );
    expire.next(new sfn.Succeed(this, 'DeadlineHandled'));
    const waitForDeadline = new sfn.Wait(this, 'WaitForDeadline', {
      comment: 'Status checks keep failing: the payment gets its answer at its deadline',
      time: sfn.WaitTime.timestampPath('$.deadline'),
    }).next(expire);
    check.addCatch(waitForDeadline, { errors: ['States.ALL'], resultPath: '$.failure' });
    const scheduleNext = new sfn.Pass(this, 'ScheduleNextCheck', {
      comment: 'Carries the workflow input on with the next, longer wait',
      parameters: { ...workflowInput, waitSeconds: sfn.JsonPath.numberAt('$.check.nextWaitSeconds') },
    });
    const settled = new sfn.Choice(this, 'Settled?')
      .when(sfn.Condition.booleanEquals('$.check.settled', true), new sfn.Succeed(this, 'PaymentSettled'))
      .when(sfn.Condition.booleanEquals('$.check.deadlinePassed', true), expire)
      .otherwise(scheduleNext.next(wait));

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Payment status checks until the payment settles or its deadline passes',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(wait.next(check).next(settled)),
      timeout: props.deadline.plus(Duration.minutes(15)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray actions have no resource-level permissions; AWS documents "*" for them.',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.tokenIdOf(props.statusFunction)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the status function and its versions/aliases (the ":*" suffix); granted by the LambdaInvoke task for this one function only.',
    });

    const metric = (name: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName: name,
        dimensionsMap: { StateMachineArn: this.stateMachine.stateMachineArn },
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      });
    const alarm = (id: string, name: string, description: string) =>
      alarmAboveZero(this, id, description, metric(name));
    this.alarms = [
      alarm(
        'ExecutionsFailedAlarm',
        'ExecutionsFailed',
        'Payment status workflow: executions failed (their payments are left to the reconciler)',
      ),
      alarm(
        'ExecutionsTimedOutAlarm',
        'ExecutionsTimedOut',
        'Payment status workflow: executions timed out before settling their payment',
      ),
      alarm(
        'ExecutionsAbortedAlarm',
        'ExecutionsAborted',
        'Payment status workflow: executions were aborted (a payment may be stuck in AWAITING_STATUS)',
      ),
    ];
  }

  /** The logical id cdk-nag shows for a function ARN in a finding. */
  private tokenIdOf(fn: lambda.IFunction): string {
    const resource = fn.node.defaultChild;
    return CfnElement.isCfnElement(resource) ? Stack.of(fn).getLogicalId(resource) : fn.node.id;
  }
}
