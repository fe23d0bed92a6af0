import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { RetryableError } from '#platform/errors';
import type { PaymentWorkflowInput } from './model';

/**
 * What a start of an execution name found: `STARTED` (a new execution, or, as Step Functions answers a
 * repeated start with the same input, the one already running), `RUNNING` (an execution of that name
 * runs already, started with another input), `ENDED` (an execution of that name ran and ended; the
 * name cannot be used again).
 */
export type WorkflowStart = 'STARTED' | 'RUNNING' | 'ENDED';

/** Starts the payment status workflow under a given execution name. */
export interface WorkflowStarter {
  start(name: string, input: PaymentWorkflowInput): Promise<WorkflowStart>;
}

/** The workflow could not be started; the event is retried. */
export class WorkflowStartError extends RetryableError {
  readonly code = 'WORKFLOW_START_FAILED';
}

/**
 * `WorkflowStarter` on Step Functions: StartExecution with the given execution name. An execution of
 * that name that already exists is described (DescribeExecution): a running one is the outcome wanted;
 * one that ended (succeeded, failed, timed out, aborted) is reported as `ENDED`, so the caller can start
 * the payment's next run when the payment still awaits its status.
 */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: PaymentWorkflowInput): Promise<WorkflowStart> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return 'STARTED';
    } catch (error) {
      if (
        !(error instanceof ExecutionAlreadyExists) &&
        (error as { name?: string }).name !== 'ExecutionAlreadyExists'
      ) {
        throw new WorkflowStartError(`Could not start the payment status workflow ${name}`, { cause: error });
      }
    }
    try {
      const { status } = await this.client.send(
        new DescribeExecutionCommand({ executionArn: this.executionArn(name) }),
      );
      return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'RUNNING' : 'ENDED';
    } catch (error) {
      throw new WorkflowStartError(`Could not describe the payment status workflow ${name}`, {
        cause: error,
      });
    }
  }

  /** `arn:<partition>:states:<region>:<account>:execution:<state machine name>:<execution name>`. */
  private executionArn(name: string): string {
    const parts = this.stateMachineArn.split(':');
    parts[5] = 'execution';
    return `${parts.slice(0, 7).join(':')}:${name}`;
  }
}
