import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { LocalStepFunctions, type StateMachineDefinition } from '#localstack/runtime/step-functions';
import { ROOT } from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:status-check';
const MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:payment-status';

const machine: StateMachineDefinition = {
  logicalId: 'PaymentStatus',
  arn: MACHINE_ARN,
  name: 'payment-status',
  definition: {
    StartAt: 'Wait',
    States: {
      Wait: { Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'CheckStatus' },
      CheckStatus: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: FUNCTION_ARN, 'Payload.$': '$' },
        OutputPath: '$.Payload',
        Next: 'Settled?',
      },
      'Settled?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.settled', BooleanEquals: true, Next: 'Done' }],
        Default: 'Wait',
      },
      Done: { Type: 'Succeed' },
    },
  },
};

describe('Class: LocalStepFunctions', () => {
  let fn: LocalLambda;
  let logs: LogSink;
  let sfn: LocalStepFunctions;

  beforeAll(async () => {
    logs = new LogSink(join(mkdtempSync(join(tmpdir(), 'sfn-')), 'log'), false);
    fn = new LocalLambda(
      {
        logicalId: 'StatusCheck',
        name: 'status-check',
        arn: FUNCTION_ARN,
        handlerFile: join(ROOT, 'test/fixtures/functions/status-check.mjs'),
        handlerExport: 'handler',
        environment: {},
        timeoutMs: 5_000,
        memoryMb: 128,
      },
      logs,
    );
    // 1000x: the waits of 1 + 2 + 4 seconds take a few milliseconds.
    sfn = new LocalStepFunctions(
      new Map([[MACHINE_ARN, machine]]),
      (arn) => (arn === FUNCTION_ARN ? fn : undefined),
      logs,
      1000,
    );
    await sfn.listen(0);
  });

  afterAll(async () => {
    await sfn?.stop();
    await fn?.stop();
    await logs?.close();
  });

  const call = async (action: string, body: unknown) => {
    const response = await fetch(sfn.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${action}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('runs a Wait (SecondsPath) → Lambda task → Choice loop to success through the API', async () => {
    // Act
    const started = await call('StartExecution', {
      stateMachineArn: MACHINE_ARN,
      name: 'pay_1',
      input: JSON.stringify({ waitSeconds: 1 }),
    });

    // Assess
    expect(started.status).toBe(200);
    const executionArn = String(started.body.executionArn);
    expect(executionArn).toMatch(/:execution:payment-status:pay_1$/);
    const done = await waitFor(
      async () => {
        const described = await call('DescribeExecution', { executionArn });
        return described.body.status === 'RUNNING' ? undefined : described.body;
      },
      { timeoutMs: 10_000, description: 'execution finished' },
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(String(done.output))).toMatchObject({ checks: 3, settled: true, waitSeconds: 8 });
    expect(fn.invocations).toBe(3);
  });

  it('treats a second start with the same name and input as the same execution while it runs', async () => {
    // Prepare
    const input = JSON.stringify({ waitSeconds: 1000 });

    // Act
    const first = await call('StartExecution', { stateMachineArn: MACHINE_ARN, name: 'pay_2', input });
    const again = await call('StartExecution', { stateMachineArn: MACHINE_ARN, name: 'pay_2', input });
    const other = await call('StartExecution', {
      stateMachineArn: MACHINE_ARN,
      name: 'pay_2',
      input: '{"waitSeconds":1}',
    });

    // Assess
    expect(again.body.executionArn).toBe(first.body.executionArn);
    expect(other.status).toBe(400);
    expect(other.body.__type).toBe('ExecutionAlreadyExists');
  });

  it('answers unknown state machines and executions with the AWS error types', async () => {
    // Act
    const machineMissing = await call('StartExecution', {
      stateMachineArn: `${MACHINE_ARN}-nope`,
      name: 'x',
    });
    const executionMissing = await call('DescribeExecution', {
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:nope:x',
    });

    // Assess
    expect(machineMissing.body.__type).toBe('StateMachineDoesNotExist');
    expect(executionMissing.body.__type).toBe('ExecutionDoesNotExist');
  });
});
