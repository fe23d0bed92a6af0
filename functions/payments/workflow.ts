import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { RetryableError } from '#platform/errors';
import type { PaymentWorkflowInput } from './model';

/** Starts the payment status workflow; starting one name twice must be harmless. */
export interface WorkflowStarter {
  start(name: string, input: PaymentWorkflowInput): Promise<void>;
}

/** The workflow could not be started; the event is retried. */
export class WorkflowStartError extends RetryableError {
  readonly code = 'WORKFLOW_START_FAILED';
}

/**
 * `WorkflowStarter` on Step Functions: StartExecution with the given execution name. An execution of
 * that name that already exists (running or finished) means the workflow was started before, which is
 * the outcome wanted, so `ExecutionAlreadyExists` counts as success.
 */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: PaymentWorkflowInput): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if (
        error instanceof ExecutionAlreadyExists ||
        (error as { name?: string }).name === 'ExecutionAlreadyExists'
      ) {
        return;
      }
      throw new WorkflowStartError(`Could not start the payment status workflow ${name}`, { cause: error });
    }
  }
}
