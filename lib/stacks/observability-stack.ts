import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AppConfig } from '../config';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { METRICS_NAMESPACE } from '../constructs/service-function';
import { InfrastructureError } from '../errors';
import type { LabelledFunction } from './order-service-stack';

export interface ObservabilityStackProps extends StackProps {
  readonly config: AppConfig;
  readonly api: apigateway.RestApi;
  readonly functions: readonly LabelledFunction[];
  readonly outboxes: readonly { readonly label: string; readonly relay: OutboxRelay }[];
  /** Alarms defined next to the resources they watch (outbox relays, APIs). */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const FIVE_MINUTES = Duration.minutes(5);

/** Entry files of the Kafka consumers (`functions/<service>/consumer.ts`, the order saga's consumer). */
const KAFKA_CONSUMER_ENTRY = /(^|[/-])consumer\.ts$/;

/**
 * Dashboard and notifications for the platform.
 *
 * Alarms live next to what they watch, in the service stacks. Their notifications are wired here
 * through one composite alarm per alarm (same state, carrying the SNS actions): an action on the
 * original alarm would make the service stack depend on this stack while the dashboard makes this
 * stack depend on the service stack.
 */
export class ObservabilityStack extends Stack {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly notifyingAlarms: cloudwatch.CompositeAlarm[];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;

    // CloudWatch can only publish to an encrypted topic whose key lets it; the AWS managed SNS key
    // cannot, so the topic has its own key.
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `OrderSaga ${config.stage} alarm topic encryption`,
      enableKeyRotation: true,
    });
    topicKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `OrderSaga ${config.stage} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (config.alarmEmail) {
      const subscription = new sns.Subscription(this, 'AlarmEmail', {
        topic: this.alarmTopic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: config.alarmEmail,
      });
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'Alarm email: SNS retries delivery, and an undelivered email loses no state (the alarm stays visible in CloudWatch with its history).',
      });
    }

    const notify = new actions.SnsAction(this.alarmTopic);
    this.notifyingAlarms = props.alarms.map((alarm, index) => {
      const composite = new cloudwatch.CompositeAlarm(this, `Notify${index}`, {
        alarmRule: cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM),
        alarmDescription: `Notifies the alarm topic when ${alarm.alarmName} is in ALARM`,
      });
      composite.addAlarmAction(notify);
      composite.addOkAction(notify);
      return composite;
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `OrderSaga-${config.stage}`,
      defaultInterval: Duration.hours(3),
    });
    const { api } = props;
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        width: 12,
        left: [
          api.metricCount({ period: FIVE_MINUTES, label: 'requests' }),
          api.metricClientError({ period: FIVE_MINUTES, label: '4xx' }),
          api.metricServerError({ period: FIVE_MINUTES, label: '5xx' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency',
        width: 12,
        left: [
          api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50', label: 'p50' }),
          api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'p99' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        width: 12,
        left: props.functions.map(({ label, fn }) =>
          fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda duration p99',
        width: 12,
        left: props.functions.map(({ label, fn }) =>
          fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outbox relay iterator age (ms)',
        width: 12,
        left: props.outboxes.map(({ label, relay }) =>
          relay.relayFunction.metric('IteratorAge', {
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label,
          }),
        ),
        leftAnnotations: [{ value: 60_000, label: 'alarm' }],
      }),
      new cloudwatch.GraphWidget({
        title: 'Outbox dead-letter depth',
        width: 12,
        left: props.outboxes.flatMap(({ label, relay }) => [
          relay.onFailureQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${label} relay on-failure`,
          }),
          relay.sweeperDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${label} sweeper DLQ`,
          }),
        ]),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Business: orders and outbox',
        width: 12,
        left: [
          'OrdersCreated',
          'IdempotentReplays',
          'OutboxPublished',
          'OutboxPublishFailures',
          'OutboxSweepFound',
        ].map((name) => businessMetric(name, 'Sum')),
      }),
      new cloudwatch.GraphWidget({
        title: 'Business: outbox publish lag (ms)',
        width: 12,
        left: [businessMetric('OutboxPublishLagMs', 'p50'), businessMetric('OutboxPublishLagMs', 'p99')],
      }),
    );
    this.addBusinessWidgets(props);
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: [...props.alarms] }),
    );

    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }

  /**
   * The saga's business metrics, each under the `service` dimension of the function that emits it
   * (its POWERTOOLS_SERVICE_NAME), found through the function's entry file.
   */
  private addBusinessWidgets(props: ObservabilityStackProps): void {
    const serviceOf = (entry: string): string => {
      const found = props.functions.find(({ fn }) => fn.entryName === entry);
      if (!found) throw new InfrastructureError(`Observability: no function for functions/${entry}`);
      return found.fn.serviceName;
    };
    const orders = serviceOf('orders/handlers/create-order.ts');
    const saga = serviceOf('orders/handlers/saga-consumer.ts');
    const inventory = serviceOf('inventory/handlers/consumer.ts');
    const payments = serviceOf('payments/handlers/consumer.ts');
    const paymentStatus = serviceOf('payments/handlers/check-status.ts');
    const notification = serviceOf('notifications/handlers/consumer.ts');
    const consumers = props.functions.filter(({ fn }) => KAFKA_CONSUMER_ENTRY.test(fn.entryName));
    const sum = (service: string, name: string, label = name) =>
      serviceMetric(service, name, cloudwatch.Stats.SUM, label);
    const percentiles = (service: string, name: string) => [
      serviceMetric(service, name, 'p50', 'p50'),
      serviceMetric(service, name, 'p99', 'p99'),
    ];

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Saga: orders created, confirmed and cancelled',
        width: 12,
        left: [sum(orders, 'OrdersCreated'), sum(saga, 'OrdersConfirmed'), sum(saga, 'OrdersCancelled')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Saga: duration from order to outcome (ms)',
        width: 12,
        left: percentiles(saga, 'SagaDurationMs'),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Inventory: reservations',
        width: 8,
        left: [
          sum(inventory, 'StockReserved'),
          sum(inventory, 'StockRejected'),
          sum(inventory, 'StockReleased'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Payments by outcome',
        width: 8,
        left: [
          sum(payments, 'PaymentsSucceeded'),
          sum(payments, 'PaymentsFailed'),
          sum(payments, 'PaymentsAwaitingStatus'),
          sum(paymentStatus, 'PaymentsSettledByStatusCheck'),
          sum(paymentStatus, 'PaymentDeadlinesReached'),
          sum(paymentStatus, 'PaymentStatusChecks'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'PSP authorization latency (ms)',
        width: 8,
        left: percentiles(payments, 'PspAuthorizeLatencyMs'),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outbox per service: publish failures and rows swept',
        width: 12,
        left: props.outboxes.flatMap(({ label, relay }) => [
          sum(relay.relayFunction.serviceName, 'OutboxPublishFailures', `${label} failures`),
          sum(relay.sweeperFunction.serviceName, 'OutboxSweepFound', `${label} swept`),
        ]),
      }),
      new cloudwatch.GraphWidget({
        title: 'Outbox per service: publish lag p99 (ms)',
        width: 12,
        left: props.outboxes.map(({ label, relay }) =>
          serviceMetric(relay.relayFunction.serviceName, 'OutboxPublishLagMs', 'p99', label),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Consumers: events consumed (left) and dead-lettered (right)',
        width: 8,
        left: consumers.map(({ label, fn }) => sum(fn.serviceName, 'EventsConsumed', label)),
        right: consumers.map(({ label, fn }) =>
          sum(fn.serviceName, 'EventsDeadLettered', `${label} dead-lettered`),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumers: duplicates skipped',
        width: 8,
        left: consumers.map(({ label, fn }) => sum(fn.serviceName, 'EventsSkippedDuplicate', label)),
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumers: offset lag (records)',
        width: 8,
        left: consumers.map(({ label, fn }) =>
          fn.metric('OffsetLag', { period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM, label }),
        ),
        leftAnnotations: [{ value: 1000, label: 'alarm' }],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Notifications',
        width: 24,
        left: [
          sum(notification, 'NotificationsSent'),
          sum(notification, 'NotificationsFailed'),
          sum(notification, 'NotificationCircuitOpened'),
        ],
      }),
    );
  }
}

/** One business metric of the `OrderSaga` namespace, as the function of `service` emits it. */
function serviceMetric(
  service: string,
  metricName: string,
  statistic: string,
  label: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic,
    label,
    period: FIVE_MINUTES,
  });
}

/**
 * A business metric of the `OrderSaga` namespace summed over its dimensions (Powertools adds the
 * `service` dimension), so the graph does not depend on which service emits it.
 */
function businessMetric(metricName: string, statistic: 'Sum' | 'p50' | 'p99'): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service} MetricName="${metricName}"', '${statistic}', 300)`,
    label: statistic === 'Sum' ? metricName : `${metricName} ${statistic}`,
    usingMetrics: {},
    period: FIVE_MINUTES,
  });
}
