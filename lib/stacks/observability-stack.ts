import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { InventoryConsumerFn } from '#functions/inventory/contract';
import { NotificationConsumerFn } from '#functions/notifications/contract';
import { CreateOrderFn, OrderReconcilerFn, SagaConsumerFn } from '#functions/orders/contract';
import { CheckStatusFn, PaymentConsumerFn, PaymentReconcilerFn } from '#functions/payments/contract';
import { CarrierWebhookFn, ShippingConsumerFn } from '#functions/shipping/contract';
import type { AnyContract } from '#platform/contract';
import type { AppConfig } from '../config';
import type { OutboxRelay } from '../constructs/outbox-relay';
import { METRICS_NAMESPACE, type ServiceFunction } from '../constructs/service-function';
import { InfrastructureError } from '../errors';
import type { ServiceStack } from './service-stack';

export interface ObservabilityStackProps extends StackProps {
  readonly config: AppConfig;
  readonly api: apigateway.RestApi;
  /** The service stacks: their functions, outboxes and alarms. */
  readonly services: readonly ServiceStack[];
  /** Outboxes outside the service stacks (the dead-letter table's, in the messaging stack). */
  readonly outboxes: readonly OutboxRelay[];
  /** Alarms outside the service stacks. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const FIVE_MINUTES = Duration.minutes(5);

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
    const functions = props.services.flatMap((service) => service.functions);
    const outboxes = [...props.services.flatMap((service) => service.outboxes), ...props.outboxes];
    const alarms = [...props.services.flatMap((service) => service.alarms), ...props.alarms];

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
    this.notifyingAlarms = alarms.map((alarm, index) => {
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
        left: functions.map((fn) =>
          fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label: fn.label }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda duration p99',
        width: 12,
        left: functions.map((fn) =>
          fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: fn.label }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outbox relay iterator age (ms)',
        width: 12,
        left: outboxes.map((relay) =>
          relay.relayFunction.metric('IteratorAge', {
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: relay.relayFunction.serviceName,
          }),
        ),
        leftAnnotations: [{ value: 60_000, label: 'alarm' }],
      }),
      new cloudwatch.GraphWidget({
        title: 'Outbox dead-letter depth',
        width: 12,
        left: outboxes.flatMap((relay) => [
          relay.onFailureQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${relay.relayFunction.serviceName} relay on-failure`,
          }),
          relay.sweeperDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${relay.relayFunction.serviceName} sweeper DLQ`,
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
          'OutboxQuarantined',
        ].map((name) => businessMetric(name, 'Sum')),
      }),
      new cloudwatch.GraphWidget({
        title: 'Business: outbox publish lag (ms)',
        width: 12,
        left: [businessMetric('OutboxPublishLagMs', 'p50'), businessMetric('OutboxPublishLagMs', 'p99')],
      }),
    );
    this.addBusinessWidgets(functions, outboxes);
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms }));

    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }

  /** The saga's business metrics, each under the `service` dimension its function's contract names. */
  private addBusinessWidgets(functions: readonly ServiceFunction[], outboxes: readonly OutboxRelay[]): void {
    const consumers = functions.filter((fn) => fn.contract.consumes.length > 0);
    const sum = contractMetric('Sum');
    const percentiles = <C extends AnyContract>(contract: C, name: keyof C['metrics'] & string) => [
      contractMetric('p50')(contract, name, 'p50'),
      contractMetric('p99')(contract, name, 'p99'),
    ];

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Saga: orders created, confirmed and cancelled',
        width: 12,
        left: [
          sum(CreateOrderFn, 'OrdersCreated'),
          sum(SagaConsumerFn, 'OrdersConfirmed'),
          sum(SagaConsumerFn, 'OrdersCancelled'),
          sum(OrderReconcilerFn, 'OrdersTimedOut'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Saga: duration from order to outcome (ms)',
        width: 12,
        left: percentiles(SagaConsumerFn, 'SagaDurationMs'),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Inventory: reservations',
        width: 8,
        left: [
          sum(InventoryConsumerFn, 'StockReserved'),
          sum(InventoryConsumerFn, 'StockRejected'),
          sum(InventoryConsumerFn, 'StockReleased'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Payments by outcome',
        width: 8,
        left: [
          sum(PaymentConsumerFn, 'PaymentsSucceeded'),
          sum(PaymentConsumerFn, 'PaymentsFailed'),
          sum(PaymentConsumerFn, 'PaymentsAwaitingStatus'),
          sum(CheckStatusFn, 'PaymentsSettledByStatusCheck'),
          sum(CheckStatusFn, 'PaymentDeadlinesReached'),
          sum(CheckStatusFn, 'PaymentStatusChecks'),
          sum(PaymentConsumerFn, 'PaymentsVoided'),
          sum(PaymentConsumerFn, 'PaymentsRefunded'),
          sum(PaymentReconcilerFn, 'PaymentsReconcileFound'),
          sum(PaymentConsumerFn, 'PspCircuitOpened'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'PSP authorization latency (ms)',
        width: 8,
        left: percentiles(PaymentConsumerFn, 'PspAuthorizeLatencyMs'),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outbox per service: publish failures, rows swept and rows quarantined',
        width: 12,
        left: outboxes.flatMap((relay) => [
          sum(relay.relayFunction, 'OutboxPublishFailures', `${relay.relayFunction.serviceName} failures`),
          sum(relay.sweeperFunction, 'OutboxSweepFound', `${relay.sweeperFunction.serviceName} swept`),
          sum(relay.relayFunction, 'OutboxQuarantined', `${relay.relayFunction.serviceName} quarantined`),
        ]),
      }),
      new cloudwatch.GraphWidget({
        title: 'Outbox per service: publish lag p99 (ms)',
        width: 12,
        left: outboxes.map((relay) =>
          contractMetric('p99')(relay.relayFunction, 'OutboxPublishLagMs', relay.relayFunction.serviceName),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Consumers: events consumed (left) and dead-lettered (right)',
        width: 8,
        left: consumers.map((fn) => serviceMetric(fn.serviceName, 'EventsConsumed', 'Sum', fn.label)),
        right: consumers.map((fn) =>
          serviceMetric(fn.serviceName, 'EventsDeadLettered', 'Sum', `${fn.label} dead-lettered`),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumers: duplicates skipped (left) and records parked (right)',
        width: 8,
        left: consumers.map((fn) => serviceMetric(fn.serviceName, 'EventsSkippedDuplicate', 'Sum', fn.label)),
        right: consumers.flatMap((fn) => [
          serviceMetric(fn.serviceName, 'EventsParked', 'Sum', `${fn.label} parked`),
          serviceMetric(fn.serviceName, 'ParkedDue', 'Maximum', `${fn.label} due`),
        ]),
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumers: offset lag (records)',
        width: 8,
        left: consumers.map((fn) =>
          fn.metric('OffsetLag', {
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: fn.label,
          }),
        ),
        leftAnnotations: [{ value: 1000, label: 'alarm' }],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Notifications',
        width: 24,
        left: [
          sum(NotificationConsumerFn, 'NotificationsSent'),
          sum(NotificationConsumerFn, 'NotificationsFailed'),
          sum(NotificationConsumerFn, 'NotificationCircuitOpened'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Shipping',
        width: 24,
        left: [
          sum(ShippingConsumerFn, 'ShipmentsCreated'),
          sum(ShippingConsumerFn, 'ShipmentsFailed'),
          sum(ShippingConsumerFn, 'ShipmentsCancelled'),
          sum(ShippingConsumerFn, 'CancelsTooLate'),
          sum(CarrierWebhookFn, 'OrdersShipped'),
          sum(CarrierWebhookFn, 'OrdersDelivered'),
          sum(CarrierWebhookFn, 'WebhooksRejected'),
        ],
      }),
    );
  }
}

/**
 * A metric a contract declares, under the service dimension of the function that emits it: a contract
 * with a service, or a deployed function (for contracts deployed once per service).
 */
function contractMetric(statistic: string) {
  return <C extends AnyContract>(
    source: C | ServiceFunction<C>,
    name: keyof C['metrics'] & string,
    label: string = name,
  ): cloudwatch.Metric => {
    const service = 'serviceName' in source ? source.serviceName : source.service;
    if (service === undefined) throw new InfrastructureError(`Metric ${name}: no service to read it from`);
    return serviceMetric(service, name, statistic, label);
  };
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
