import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '#functions/payments/model';
import { StepFunctionsWorkflowStarter } from '#functions/payments/workflow';
import { LogSink } from '#localstack/runtime/logs';
import { LocalStepFunctions, type StateMachineDefinition } from '#localstack/runtime/step-functions';
import { waitFor } from '#test/helpers/wait';

const WAITING_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:payment-status-waiting';
const FAILING_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:payment-status-failing';

const machines = new Map<string, StateMachineDefinition>([
  [
    WAITING_ARN,
    {
      logicalId: 'Waiting',
      arn: WAITING_ARN,
      name: 'payment-status-waiting',
      definition: {
        StartAt: 'WaitBeforeCheck',
        States: { WaitBeforeCheck: { Type: 'Wait', SecondsPath: '$.waitSeconds', End: true } },
      },
    },
  ],
  [
    FAILING_ARN,
    {
      logicalId: 'Failing',
      arn: FAILING_ARN,
      name: 'payment-status-failing',
      definition: {
        StartAt: 'LeftToReconciler',
        States: { LeftToReconciler: { Type: 'Fail', Error: 'PaymentLeftToReconciler', Cause: 'test' } },
      },
    },
  ],
]);

const input = (paymentId: string) => ({
  paymentId,
  orderId: paymentId.replace(/^pay-/, ''),
  deadline: '2025-03-01T12:15:00.000Z',
  waitSeconds: 600,
});

describe('Class: StepFunctionsWorkflowStarter, against the local Step Functions API', () => {
  let logs: LogSink;
  let sfn: LocalStepFunctions;
  let client: SFNClient;

  beforeAll(async () => {
    logs = new LogSink(join(mkdtempSync(join(tmpdir(), 'sfn-starter-')), 'log'), false);
    sfn = new LocalStepFunctions(machines, () => undefined, logs, 1);
    await sfn.listen(0);
    client = new SFNClient({
      endpoint: sfn.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client?.destroy();
    await sfn?.stop();
    await logs?.close();
  });

  it('starts an execution once: the same start again is accepted, another input finds it RUNNING', async () => {
    // Prepare
    const starter = new StepFunctionsWorkflowStarter(client, WAITING_ARN);

    // Act
    const first = await starter.start('pay-running', input('pay-running'));
    const same = await starter.start('pay-running', input('pay-running'));
    const moved = await starter.start('pay-running', {
      ...input('pay-running'),
      deadline: '2025-03-01T12:30:00.000Z',
    });

    // Assess
    expect([first, same, moved]).toEqual(['STARTED', 'STARTED', 'RUNNING']);
    expect([...sfn.executions.values()].filter((e) => e.name === 'pay-running')).toHaveLength(1);
  });

  it('reports an execution that ended as ENDED, so the next run starts under its own name', async () => {
    // Prepare
    const starter = new StepFunctionsWorkflowStarter(client, FAILING_ARN);
    const first = await starter.start(executionNameFor('pay-ended'), input('pay-ended'));
    await waitFor(
      () => [...sfn.executions.values()].find((e) => e.name === 'pay-ended' && e.status === 'FAILED'),
      { description: 'the first run failed' },
    );

    // Act
    const again = await starter.start(executionNameFor('pay-ended'), input('pay-ended'));
    const next = await starter.start(executionNameFor('pay-ended', 2), input('pay-ended'));

    // Assess
    expect(first).toBe('STARTED');
    expect(again).toBe('ENDED');
    expect(next).toBe('STARTED');
    expect([...sfn.executions.values()].map((e) => e.name)).toEqual(
      expect.arrayContaining(['pay-ended', 'pay-ended-2']),
    );
  });
});
