import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, logicalIdOf, type TestApp } from './app-fixture';

let testApp: TestApp;
let template: Template;
let quiet: TestApp;

describe('Stack: ObservabilityStack', () => {
  beforeAll(() => {
    testApp = buildTestApp({ stage: 'test', alarmEmail: 'ops@example.com' });
    template = testApp.template(testApp.stacks.observability);
    quiet = buildTestApp({ stage: 'test' });
  });

  it('encrypts the alarm topic with a rotated key CloudWatch may use, and enforces TLS', () => {
    // Prepare
    const { observability } = testApp.stacks;

    // Act
    const topic = template.toJSON().Resources[logicalIdOf(observability.alarmTopic)];

    // Assess
    expect(topic.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^AlarmTopicKey/), 'Arn'],
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt']),
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the alarm email only when the context gives one', () => {
    // Prepare
    const quietTemplate = quiet.template(quiet.stacks.observability);

    // Act
    const subscriptions = template.findResources('AWS::SNS::Subscription');

    // Assess
    expect(Object.values(subscriptions).map((s) => s.Properties)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
    ]);
    quietTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('notifies the topic for every service alarm, in ALARM and back to OK', () => {
    // Prepare
    const { orders, analytics, observability } = testApp.stacks;
    const topicRef = { Ref: logicalIdOf(observability.alarmTopic) };

    // Act
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));

    // Assess
    expect(composites).toHaveLength(observability.notifyingAlarms.length);
    expect(composites.length).toBeGreaterThanOrEqual(orders.alarms.length + analytics.alarms.length);
    expect(orders.alarms.length).toBeGreaterThanOrEqual(6);
    for (const composite of composites) {
      expect(composite.Properties).toMatchObject({ AlarmActions: [topicRef], OKActions: [topicRef] });
      expect(JSON.stringify(composite.Properties.AlarmRule)).toContain('ALARM(');
    }
  });

  it('puts API, Lambda, relay, dead-letter and business metrics on the dashboard', () => {
    // Prepare
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');

    // Act
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);

    // Assess
    expect(Object.keys(dashboards)).toHaveLength(1);
    for (const expected of [
      '4XXError',
      '5XXError',
      'Latency',
      'p50',
      'p99',
      'AWS/Lambda',
      'Errors',
      'Duration',
      'IteratorAge',
      'ApproximateNumberOfMessagesVisible',
      'OrdersCreated',
      'OutboxPublished',
      'OutboxPublishLagMs',
      'OrdersConfirmed',
      'OrdersCancelled',
      'SagaDurationMs',
      'StockReserved',
      'StockRejected',
      'PaymentsSucceeded',
      'PaymentsFailed',
      'PspAuthorizeLatencyMs',
      'EventsConsumed',
      'EventsDeadLettered',
      'OffsetLag',
      'NotificationsSent',
      'NotificationsFailed',
      '{OrderSaga,service}',
    ]) {
      expect(body, expected).toContain(expected);
    }
  });

  it('graphs the saga business metrics under the service dimension of the function that emits them', () => {
    // Prepare
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];

    // Act
    const graphed = graphedMetrics(dashboard?.Properties.DashboardBody);

    // Assess
    for (const [service, names] of Object.entries({
      orders: [
        'OrdersCreated',
        'OutboxPublishFailures',
        'OutboxPublishLagMs',
        'OutboxSweepFound',
        'OrdersConfirmed',
        'OrdersCancelled',
        'SagaDurationMs',
        'EventsConsumed',
      ],
      inventory: ['StockReserved', 'StockRejected', 'StockReleased', 'EventsDeadLettered'],
      payments: [
        'PaymentsSucceeded',
        'PaymentsFailed',
        'PaymentsAwaitingStatus',
        'PaymentsSettledByStatusCheck',
        'PaymentDeadlinesReached',
        'PaymentStatusChecks',
        'PaymentsVoided',
        'PaymentsRefunded',
        'PaymentsReconcileFound',
        'PspCircuitOpened',
        'PspAuthorizeLatencyMs',
        'OutboxPublishLagMs',
      ],
      notifications: [
        'NotificationsSent',
        'NotificationsFailed',
        'NotificationCircuitOpened',
        'EventsConsumed',
        'OutboxPublishFailures',
        'OutboxPublishLagMs',
      ],
      analytics: ['EventsConsumed', 'EventsDeadLettered', 'EventsSkippedDuplicate'],
      shipping: [
        'ShipmentsCreated',
        'ShipmentsFailed',
        'CancelsTooLate',
        'OrdersShipped',
        'WebhooksRejected',
      ],
    })) {
      for (const name of names) {
        expect(graphed, `${name} of ${service}`).toContainEqual(['OrderSaga', name, 'service', service]);
      }
    }
    expect(graphed).toContainEqual(['OrderSaga', 'SagaDurationMs', 'service', 'orders', 'p99']);
    expect(graphed).toContainEqual(['OrderSaga', 'PspAuthorizeLatencyMs', 'service', 'payments', 'p50']);
    expect(
      graphed.filter(([namespace, name]) => namespace === 'AWS/Lambda' && name === 'OffsetLag'),
    ).toHaveLength(6);
  });
});

/**
 * The metrics graphed on a dashboard, as `[namespace, name, dimension, value]` plus `[..., statistic]`
 * for percentiles; resolved references (function names, region) read as `TOKEN`.
 */
function graphedMetrics(dashboardBody: { 'Fn::Join': [string, unknown[]] }): string[][] {
  const text = dashboardBody['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
    .join('');
  const body = JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] };
  return body.widgets.flatMap(({ properties }) =>
    (properties.metrics ?? []).flatMap((line) => {
      const names = line.filter((item): item is string => typeof item === 'string');
      const options = line.find((item): item is { stat?: string } => typeof item === 'object');
      const stat = options?.stat;
      return stat?.startsWith('p') ? [names, [...names, stat]] : [names];
    }),
  );
}
