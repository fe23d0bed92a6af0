import { type CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeSynchronousInvocation } from './service-function';

export interface HandlerProviderProps {
  /** The project's `onEvent` handler (a `ServiceFunction` of a custom resource contract). */
  readonly onEvent: lambda.Function;
  /** @default DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The CDK Provider framework around one of the project's custom resource handlers. CloudFormation
 * invokes the framework function (`serviceToken`), which calls `onEvent` synchronously and reports
 * the outcome back to CloudFormation. Its log group has the project's retention.
 */
export class HandlerProvider extends Construct {
  readonly provider: cr.Provider;
  readonly serviceToken: string;

  constructor(scope: Construct, id: string, props: HandlerProviderProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'FrameworkLogGroup', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: props.onEvent,
      logGroup,
    });
    this.serviceToken = this.provider.serviceToken;

    acknowledgeSynchronousInvocation(props.onEvent, 'the CDK Provider framework (custom resource onEvent)');

    // Findings on the framework function and role, which the CDK Provider framework defines itself.
    const framework = Validations.of(this.provider);
    framework.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The CDK Provider framework function uses the standard Lambda execution policy to write its own logs.',
    });
    const onEventLogicalId = Stack.of(props.onEvent).getLogicalId(
      props.onEvent.node.defaultChild as CfnElement,
    );
    framework.acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${onEventLogicalId}.Arn>:*]`,
      reason:
        'The CDK Provider framework may invoke any version of the onEvent function it wraps (lambda:InvokeFunction on <function ARN>:*), and nothing else.',
    });
    framework.acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'CloudFormation invokes the Provider framework function and waits for its response; failures surface as failed stack operations, not as lost events.',
    });
    framework.acknowledge({
      id: 'Serverless-LambdaTracing',
      reason:
        'The CDK Provider framework function is deployment plumbing; the onEvent handler it calls is traced.',
    });
    framework.acknowledge({
      id: 'Serverless-LambdaDefaultMemorySize',
      reason: 'The CDK Provider framework sizes its own framework function.',
    });
  }
}
