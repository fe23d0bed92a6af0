import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionNameFor } from '#functions/payments/model';
import { StepFunctionsWorkflowStarter, WorkflowStartError } from '#functions/payments/workflow';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:payment-status';
const sfn = mockClient(SFNClient);
const input = { paymentId: 'pay-1', orderId: '1', deadline: '2025-03-01T12:15:00.000Z', waitSeconds: 2 };

describe('Class: StepFunctionsWorkflowStarter', () => {
  beforeEach(() => sfn.reset());

  it('starts an execution named after the payment with the workflow input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const starter = new StepFunctionsWorkflowStarter(new SFNClient({ region: 'us-east-1' }), ARN);

    // Act
    const started = await starter.start('pay-1', input);

    // Assess
    expect(started).toBe('STARTED');
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'pay-1',
      input: JSON.stringify(input),
    });
  });

  it('reports an execution of that name that still runs as RUNNING', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const starter = new StepFunctionsWorkflowStarter(new SFNClient({ region: 'us-east-1' }), ARN);

    // Act
    const start = await starter.start('pay-1', input);

    // Assess
    expect(start).toBe('RUNNING');
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:payment-status:pay-1',
    });
  });

  it.each(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const)(
    'reports an execution of that name that ended %s as ENDED, not as started',
    async (status) => {
      // Prepare
      sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
      sfn.on(DescribeExecutionCommand).resolves({ status });
      const starter = new StepFunctionsWorkflowStarter(new SFNClient({ region: 'us-east-1' }), ARN);

      // Act
      const start = await starter.start('pay-1', input);

      // Assess
      expect(start).toBe('ENDED');
    },
  );

  it('wraps a failing DescribeExecution in a retryable error with the cause', async () => {
    // Prepare
    const cause = new Error('throttled');
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).rejects(cause);
    const starter = new StepFunctionsWorkflowStarter(new SFNClient({ region: 'us-east-1' }), ARN);

    // Act
    const start = starter.start('pay-1', input);

    // Assess
    await expect(start).rejects.toBeInstanceOf(WorkflowStartError);
    await expect(start).rejects.toMatchObject({ cause, retryable: true });
  });

  it('wraps other failures in a retryable error with the cause', async () => {
    // Prepare
    const cause = new Error('throttled');
    sfn.on(StartExecutionCommand).rejects(cause);
    const starter = new StepFunctionsWorkflowStarter(new SFNClient({ region: 'us-east-1' }), ARN);

    // Act
    const start = starter.start('pay-1', input);

    // Assess
    await expect(start).rejects.toBeInstanceOf(WorkflowStartError);
  });
});

describe('Function: executionNameFor', () => {
  it('names a restart <paymentId>-<run>, and the first run after the payment alone', () => {
    // Act
    const names = [1, 2, 3].map((run) => executionNameFor('pay-1', run));

    // Assess
    expect(names).toEqual(['pay-1', 'pay-1-2', 'pay-1-3']);
    expect(executionNameFor(`pay-${'x'.repeat(76)}`, 2)).toMatch(/^pay-[0-9a-f]{64}$/);
  });

  it('uses the paymentId when it is a valid execution name, a stable hash otherwise', () => {
    // Prepare
    const long = `pay-${'x'.repeat(100)}`;

    // Act
    const plain = executionNameFor('pay-01JN8S7QG07VXVQKXB80JART8R');
    const hashed = executionNameFor(long);

    // Assess
    expect(plain).toBe('pay-01JN8S7QG07VXVQKXB80JART8R');
    expect(hashed).toMatch(/^pay-[0-9a-f]{64}$/);
    expect(executionNameFor(long)).toBe(hashed);
    expect(executionNameFor('pay:1')).not.toBe('pay:1');
  });
});
