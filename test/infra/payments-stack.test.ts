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
    expect(States.FailPayment).toMatchObject({
      Type: 'Task',
      Parameters: { Payload: { action: 'expire' } },
      Next: 'DeadlineHandled',
    });
    expect(States.ScheduleNextCheck).toMatchObject({
      Type: 'Pass',
      Parameters: { 'waitSeconds.$': '$.check.nextWaitSeconds' },
      Next: 'WaitBeforeCheck',
    });
    for (const state of Object.values(States)) expect(state).not.toHaveProperty('ResultPath', '$');
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain(logicalIdOf(statusFunction));
  });

  it('routes task failures through catchers: checks to the deadline step, the deadline step to a Fail the reconciler picks up', () => {
    // Prepare
    const { workflow } = testApp.stacks.payments;

    // Act
    const { States } = definitionOf(resourceOf(template, workflow.stateMachine));

    // Assess
    for (const task of ['CheckStatus', 'FailPayment']) {
      expect(States[task]?.Retry).toEqual([
        expect.objectContaining({
          ErrorEquals: [
            'Lambda.ClientExecutionTimeoutException',
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
          ],
        }),
        expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, IntervalSeconds: 2 }),
      ]);
    }
    expect(States.CheckStatus?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'WaitForDeadline' },
    ]);
    expect(States.WaitForDeadline).toEqual({
      Type: 'Wait',
      Comment: expect.any(String),
      TimestampPath: '$.deadline',
      Next: 'FailPayment',
    });
    expect(States.FailPayment?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'LeftToReconciler' },
    ]);
    expect(States.LeftToReconciler).toMatchObject({ Type: 'Fail', Error: 'PaymentLeftToReconciler' });
  });

  it('lets the consumer start and describe executions of this state machine only', () => {
    // Prepare
    const { consumer, workflow } = testApp.stacks.payments;

    // Act
    const statements = roleStatements(template, consumer.fn).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('states:')),
    );

    // Assess
    expect(statements.map(actionsOf)).toEqual([['states:StartExecution'], ['states:DescribeExecution']]);
    expect(statements[0]?.Resource).toEqual({ Ref: logicalIdOf(workflow.stateMachine) });
    expect(JSON.stringify(statements[1]?.Resource)).toContain(':execution:');
    expect(JSON.stringify(statements[1]?.Resource)).toContain(logicalIdOf(workflow.stateMachine));
  });

  it('consumes inventory.events and orders.events in batches that fit the timeout at the PSP worst case, and configures the PSP client', () => {
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
        // 3 attempts × 2000 ms + 100 + 200 ms backoff + 1 s = 7.3 s per record; 14 fit in 108 of 120 s.
        BatchSize: 14,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'order-saga-payments-inventory.events' },
      }),
      expect.objectContaining({
        Topics: ['orders.events'],
        BatchSize: 14,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'order-saga-payments-orders.events' },
      }),
    ]);
    expect(env).toMatchObject({
      PAYMENTS_TABLE_NAME: { Ref: logicalIdOf(paymentsTable) },
      PAYMENT_WORKFLOW_ARN: { Ref: logicalIdOf(workflow.stateMachine) },
      PAYMENT_DEADLINE_SECONDS: '900',
      PSP_TIMEOUT_MS: '2000',
      PSP_MAX_ATTEMPTS: '3',
      PSP_CIRCUIT_FAILURES: '5',
      PSP_CIRCUIT_OPEN_SECONDS: '30',
    });
    expect(JSON.stringify(env.PSP_BASE_URL)).toMatch(/Fn::ImportValue/);
  });

  it('scopes the payment functions to item access on the payments table', () => {
    // Prepare
    const { consumer, statusFunction, reconciler, paymentsTable } = testApp.stacks.payments;

    // Act
    const tables = [consumer.fn, statusFunction, reconciler].map((fn) =>
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

  it('keeps open payments in a sparse reconcile index of the payments table, by shard and due time', () => {
    // Prepare
    const { paymentsTable } = testApp.stacks.payments;

    // Act
    const { GlobalSecondaryIndexes } = resourceOf(template, paymentsTable).Properties as {
      GlobalSecondaryIndexes: { IndexName: string }[];
    };

    // Assess
    expect(GlobalSecondaryIndexes.find((index) => index.IndexName === 'reconcile')).toEqual({
      IndexName: 'reconcile',
      KeySchema: [
        { AttributeName: 'reconcileShard', KeyType: 'HASH' },
        { AttributeName: 'reconcileAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['paymentId'] },
    });
  });

  it('runs the reconciler every 5 minutes, querying only the reconcile index, with a dead-letter queue', () => {
    // Prepare
    const { reconciler, reconcileSchedule, reconcilerDeadLetterQueue, paymentsTable } =
      testApp.stacks.payments;

    // Act
    const rule = resourceOf(template, reconcileSchedule).Properties;
    const fn = resourceOf(template, reconciler).Properties;
    const queries = roleStatements(template, reconciler).filter((s) =>
      actionsOf(s).includes('dynamodb:Query'),
    );

    // Assess
    expect(rule).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [logicalIdOf(reconciler), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(reconcilerDeadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 2 },
        }),
      ],
    });
    expect(fn).toMatchObject({
      Timeout: 240,
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalIdOf(reconcilerDeadLetterQueue), 'Arn'] } },
    });
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      RECONCILE_GRACE_SECONDS: '300',
      RECONCILE_LIMIT: '100',
      PSP_CIRCUIT_FAILURES: '5',
    });
    expect(queries.map((s) => JSON.stringify(s.Resource))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`${logicalIdOf(paymentsTable)}.*/index/reconcile`)),
      ]),
    );
    expect(queries.map((s) => JSON.stringify(s.Resource)).join()).not.toContain('index/*');
  });

  it('alarms when the reconciler finds work, defers it, fails or gives up', () => {
    // Prepare
    const { alarms, reconciler, reconcilerDeadLetterQueue } = testApp.stacks.payments;

    // Act
    const properties = alarms.map((alarm) => resourceOf(template, alarm).Properties);
    const byMetric = (name: string) => properties.find((p) => p.MetricName === name);
    const mentioning = (construct: Parameters<typeof logicalIdOf>[0]) =>
      properties.filter((p) => JSON.stringify(p.Dimensions).includes(logicalIdOf(construct)));

    // Assess
    for (const name of ['PaymentsReconcileFound', 'PaymentsReconcileDeferred']) {
      expect(byMetric(name)).toMatchObject({
        Namespace: 'OrderSaga',
        Dimensions: [{ Name: 'service', Value: 'payments' }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    expect(mentioning(reconcilerDeadLetterQueue).map((p) => p.MetricName)).toEqual([
      'ApproximateNumberOfMessagesVisible',
    ]);
    expect(mentioning(reconciler).map((p) => p.MetricName)).toEqual(['Errors']);
  });

  it('points the payment service at a live PSP and its API key secret from the context, without the mock', () => {
    // Prepare
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:psp/api-key-AbCdEf';
    const live = buildTestApp({
      stage: 'test',
      pspMode: 'live',
      pspBaseUrl: 'https://psp.example.com/v1',
      pspApiKeySecret: secretArn,
    });

    // Act
    const template = live.template(live.stacks.payments);
    const env = envOf(template, live.stacks.payments.consumer.fn);

    // Assess
    expect(env.PSP_BASE_URL).toBe('https://psp.example.com/v1');
    expect(env.PSP_API_KEY_SECRET).toBe(secretArn);
    expect(live.stacks.mockPsp).toBeUndefined();
    expect(live.app.node.tryFindChild('OrderSaga-test-MockPsp')).toBeUndefined();
    for (const fn of [
      live.stacks.payments.consumer.fn,
      live.stacks.payments.statusFunction,
      live.stacks.payments.reconciler,
    ]) {
      expect(roleStatements(template, fn)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: secretArn,
          }),
        ]),
      );
    }
  });
});

describe('Stack: MockPspStack', () => {
  beforeAll(() => {
    testApp ??= buildTestApp({ stage: 'test' });
  });

  it('serves void and refund from one function on POST routes under the payment, behind the API key', () => {
    // Prepare
    const mockPsp = testApp.stacks.mockPsp;
    if (!mockPsp) throw new Error('the mock PSP stack is missing');
    const template = testApp.template(mockPsp);

    // Act
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) =>
      JSON.stringify(m.Properties.Integration).includes(logicalIdOf(mockPsp.psp.releasePayment)),
    );

    // Assess
    expect(methods.map((m) => m.Properties.HttpMethod)).toEqual(['POST', 'POST']);
    expect(methods.map((m) => m.Properties.RequestParameters)).toEqual([
      { 'method.request.path.paymentId': true },
      { 'method.request.path.paymentId': true },
    ]);
    expect(methods.map((m) => m.Properties.AuthorizationType)).toEqual(['CUSTOM', 'CUSTOM']);
  });

  it('serves the mock PSP on its own API, every route behind the API key authorizer', () => {
    // Prepare
    const mockPsp = testApp.stacks.mockPsp;
    if (!mockPsp) throw new Error('the mock PSP stack is missing');
    const template = testApp.template(mockPsp);

    // Act
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    const authorizers = Object.values(template.findResources('AWS::ApiGateway::Authorizer'));

    // Assess
    expect(methods.map((method) => method.Properties.HttpMethod).sort()).toEqual([
      'GET',
      'POST',
      'POST',
      'POST',
    ]);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: expect.anything(),
      });
    }
    expect(authorizers).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Type: 'REQUEST',
          IdentitySource: 'method.request.header.X-Api-Key',
        }),
      }),
    ]);
    expect(resourceOf(template, mockPsp.psp.table).Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'paymentId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    // Nothing of the PSP is on the order API.
    const orderPaths = Object.values(
      testApp.template(testApp.stacks.orders).findResources('AWS::ApiGateway::Resource'),
    ).map((resource) => resource.Properties.PathPart);
    expect(orderPaths).not.toContain('psp');
    expect(orderPaths).not.toContain('payments');
  });

  it('generates the API key in Secrets Manager and lets only the authorizer and the payment service read it', () => {
    // Prepare
    const mockPsp = testApp.stacks.mockPsp;
    if (!mockPsp) throw new Error('the mock PSP stack is missing');
    const secretId = logicalIdOf(mockPsp.psp.apiKeySecret);
    const readers = (stackTemplate: ReturnType<typeof testApp.template>) =>
      Object.values(stackTemplate.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'),
      ).length;

    // Act
    const secret = resourceOf(testApp.template(mockPsp), mockPsp.psp.apiKeySecret);
    const paymentsEnv = envOf(testApp.template(testApp.stacks.payments), testApp.stacks.payments.consumer.fn);

    // Assess
    expect(secret.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 48,
      ExcludePunctuation: true,
    });
    expect(readers(testApp.template(mockPsp))).toBe(1);
    expect(readers(testApp.template(testApp.stacks.payments))).toBe(3);
    expect(JSON.stringify(paymentsEnv.PSP_API_KEY_SECRET)).toContain(secretId.slice(0, 12));
    expect(JSON.stringify(paymentsEnv.PSP_BASE_URL)).toMatch(/ImportValue/);
  });

  it('reserves concurrency for every mock PSP function', () => {
    // Prepare
    const mockPsp = testApp.stacks.mockPsp;
    if (!mockPsp) throw new Error('the mock PSP stack is missing');
    const template = testApp.template(mockPsp);

    // Act
    const reserved = [
      mockPsp.psp.authorizeApiKey,
      mockPsp.psp.createPayment,
      mockPsp.psp.getPayment,
      mockPsp.psp.releasePayment,
    ].map((fn) => resourceOf(template, fn).Properties.ReservedConcurrentExecutions);

    // Assess
    expect(reserved).toEqual([10, 10, 10, 10]);
  });
});
