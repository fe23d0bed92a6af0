import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  buildTestApp,
  type CfnResourceJson,
  logicalIdOf,
  resourceOf,
  roleStatements,
  type TestApp,
} from './app-fixture';

let testApp: TestApp;
let template: Template;

type StateJson = Record<string, unknown> & { Type: string };

/** The synthesized definition with every token replaced by a placeholder, parsed. */
function definitionOf(resource: CfnResourceJson): { StartAt: string; States: Record<string, StateJson> } {
  const body = resource.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] } | string;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
}

const envOf = (t: Template, construct: Parameters<typeof resourceOf>[1]) =>
  (resourceOf(t, construct).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('Stack: PaymentStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test' });
    template = testApp.template(testApp.stacks.payments);
  });

  it('runs the status workflow as Wait (SecondsPath) → CheckStatus → Choice, looping until settled or the deadline', () => {
    // Prepare
    const { workflow, statusFunction } = testApp.stacks.payments;

    // Act
    const machine = resourceOf(template, workflow.stateMachine);
    const { StartAt, States } = definitionOf(machine);

    // Assess
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
    expect(StartAt).toBe('WaitBeforeCheck');
    expect(States.WaitBeforeCheck).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.waitSeconds',
      Next: 'CheckStatus',
    });
    expect(States.CheckStatus).toMatchObject({
      Type: 'Task',
      ResultPath: '$.check',
      Parameters: {
        Payload: { action: 'check', 'paymentId.$': '$.paymentId', 'waitSeconds.$': '$.waitSeconds' },
      },
      Next: 'Settled?',
    });
    expect(States['Settled?']).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.check.settled', BooleanEquals: true, Next: 'PaymentSettled' },
        { Variable: '$.check.deadlinePassed', BooleanEquals: true, Next: 'FailPayment' },
      ],
      Default: 'ScheduleNextCheck',
    });
    expect(States.FailPayment).toMatchObject({ Type: 'Task', Parameters: { Payload: { action: 'expire' } } });
    expect(States.ScheduleNextCheck).toMatchObject({
      Type: 'Pass',
      Parameters: { 'waitSeconds.$': '$.check.nextWaitSeconds' },
      Next: 'WaitBeforeCheck',
    });
    for (const state of Object.values(States)) expect(state).not.toHaveProperty('ResultPath', '$');
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain(logicalIdOf(statusFunction));
  });

  it('lets the consumer start executions of this state machine only', () => {
    // Prepare
    const { consumer, workflow } = testApp.stacks.payments;

    // Act
    const statements = roleStatements(template, consumer.fn).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:')),
    );

    // Assess
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0] ?? { Effect: '', Action: [], Resource: '' })).toEqual([
      'states:StartExecution',
    ]);
    expect(statements[0]?.Resource).toEqual({ Ref: logicalIdOf(workflow.stateMachine) });
  });

  it('consumes inventory.events in small batches and configures the PSP client', () => {
    // Prepare
    const { consumer, workflow, paymentsTable } = testApp.stacks.payments;

    // Act
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: logicalIdOf(consumer.fn) } },
    });
    const env = envOf(template, consumer.fn);

    // Assess
    expect(Object.values(mappings).map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        Topics: ['inventory.events'],
        BatchSize: 10,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'order-saga-payments-inventory.events' },
      }),
    ]);
    expect(env).toMatchObject({
      PAYMENTS_TABLE_NAME: { Ref: logicalIdOf(paymentsTable) },
      PAYMENT_WORKFLOW_ARN: { Ref: logicalIdOf(workflow.stateMachine) },
      PAYMENT_DEADLINE_SECONDS: '900',
      PSP_TIMEOUT_MS: '2000',
      PSP_MAX_ATTEMPTS: '3',
    });
    expect(JSON.stringify(env.PSP_BASE_URL)).toMatch(/Fn::ImportValue/);
  });

  it('scopes both payment functions to item access on the payments table', () => {
    // Prepare
    const { consumer, statusFunction, paymentsTable } = testApp.stacks.payments;

    // Act
    const tables = [consumer.fn, statusFunction].map((fn) =>
      roleStatements(template, fn)
        .filter((s) => actionsOf(s).includes('dynamodb:UpdateItem'))
        .map((s) => JSON.stringify(s.Resource)),
    );

    // Assess
    for (const resources of tables) {
      expect(resources.some((r) => r.includes(logicalIdOf(paymentsTable)))).toBe(true);
      expect(resources.join()).not.toContain('"*"');
    }
  });

  it('alarms on failed, timed out and aborted workflow executions and on function errors', () => {
    // Prepare
    const { alarms } = testApp.stacks.payments;

    // Act
    const metrics = alarms.map((alarm) => resourceOf(template, alarm).Properties.MetricName);

    // Assess
    expect(metrics).toEqual(
      expect.arrayContaining(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'Errors']),
    );
  });

  it('points the payment service at a live PSP from the context instead of the mock', () => {
    // Prepare
    const live = buildTestApp({ stage: 'test', pspMode: 'live', pspBaseUrl: 'https://psp.example.com/v1' });

    // Act
    const env = envOf(live.template(live.stacks.payments), live.stacks.payments.consumer.fn);

    // Assess
    expect(env.PSP_BASE_URL).toBe('https://psp.example.com/v1');
    expect(live.stacks.orders.psp).toBeUndefined();
    expect(
      Object.keys(live.template(live.stacks.orders).findResources('AWS::ApiGateway::Resource')),
    ).not.toEqual(expect.arrayContaining([expect.stringContaining('psp')]));
  });
});

describe('Construct: MockPsp', () => {
  beforeAll(() => {
    testApp ??= buildTestApp({ stage: 'test' });
  });

  it('adds the PSP routes to the REST API and keeps its state in the psp table', () => {
    // Prepare
    const { psp, api } = testApp.stacks.orders;
    const orderTemplate = testApp.template(testApp.stacks.orders);

    // Act
    const table = psp ? resourceOf(orderTemplate, psp.table).Properties : undefined;

    // Assess
    expect(table).toMatchObject({
      KeySchema: [{ AttributeName: 'paymentId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(psp?.baseUrl).toContain(api.url.slice(0, 10));
    orderTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.header.Idempotency-Key': true },
      Integration: { Type: 'AWS_PROXY' },
    });
  });
});
