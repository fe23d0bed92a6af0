import { InventoryConsumerFn } from '#functions/inventory/contract';
import { NotificationConsumerFn } from '#functions/notifications/contract';
import { CreateOrderFn, OrderReconcilerFn, SagaConsumerFn } from '#functions/orders/contract';
import { CheckStatusFn, PaymentConsumerFn, PaymentReconcilerFn } from '#functions/payments/contract';
import { CarrierWebhookFn, ShippingConsumerFn } from '#functions/shipping/contract';
import type { AnyContract } from '#platform/contract';
import type { MetricStore, Statistic } from './metrics';

/** The namespace of the business metrics (`METRICS_NAMESPACE` of the CDK app). */
export const BUSINESS_NAMESPACE = 'OrderSaga';

/** One line of a panel: a business metric, under one service or summed over all (`service` absent). */
export interface SeriesSpec {
  readonly label: string;
  readonly metric: string;
  readonly service?: string;
  readonly stat: Statistic;
}

/**
 * A panel of the page. `perService` expands to one line per service that emitted the metric (as the
 * dashboard's per-service widgets list one line per deployed function).
 */
export interface PanelSpec {
  readonly title: string;
  readonly unit: 'count' | 'ms';
  readonly series: readonly SeriesSpec[];
  readonly perService?: readonly {
    readonly metric: string;
    readonly stat: Statistic;
    readonly suffix: string;
  }[];
}

/** A metric a contract declares, under the service of that contract (typed: only declared names). */
function of<C extends AnyContract>(
  contract: C,
  metric: keyof C['metrics'] & string,
  stat: Statistic = 'Sum',
  label: string = stat === 'Sum' ? metric : `${metric} ${stat}`,
): SeriesSpec {
  return { label, metric, stat, ...(contract.service ? { service: contract.service } : {}) };
}

const any = (metric: string, stat: Statistic = 'Sum'): SeriesSpec => ({
  label: stat === 'Sum' ? metric : `${metric} ${stat}`,
  metric,
  stat,
});

/**
 * The business panels of the `OrderSaga-<stage>` CloudWatch dashboard (`lib/stacks/observability-stack.ts`),
 * with the same metrics and statistics, and the payment and discarded-batch metrics the Grafana
 * dashboard adds (`observability/grafana/`): every business metric the functions declare.
 */
export const BUSINESS_PANELS: readonly PanelSpec[] = [
  {
    title: 'Business: orders and outbox',
    unit: 'count',
    series: [
      'OrdersCreated',
      'IdempotentReplays',
      'OutboxPublished',
      'OutboxPublishFailures',
      'OutboxSweepFound',
      'OutboxQuarantined',
    ].map((name) => any(name)),
  },
  {
    title: 'Business: outbox publish lag (ms)',
    unit: 'ms',
    series: [any('OutboxPublishLagMs', 'p50'), any('OutboxPublishLagMs', 'p99')],
  },
  {
    title: 'Saga: orders created, confirmed and cancelled',
    unit: 'count',
    series: [
      of(CreateOrderFn, 'OrdersCreated'),
      of(SagaConsumerFn, 'OrdersConfirmed'),
      of(SagaConsumerFn, 'OrdersCancelled'),
      of(OrderReconcilerFn, 'OrdersTimedOut'),
    ],
  },
  {
    title: 'Saga: duration from order to outcome (ms)',
    unit: 'ms',
    series: [of(SagaConsumerFn, 'SagaDurationMs', 'p50'), of(SagaConsumerFn, 'SagaDurationMs', 'p99')],
  },
  {
    title: 'Inventory: reservations',
    unit: 'count',
    series: [
      of(InventoryConsumerFn, 'StockReserved'),
      of(InventoryConsumerFn, 'StockRejected'),
      of(InventoryConsumerFn, 'StockReleased'),
    ],
  },
  {
    title: 'Payments by outcome',
    unit: 'count',
    series: [
      of(PaymentConsumerFn, 'PaymentsSucceeded'),
      of(PaymentConsumerFn, 'PaymentsFailed'),
      of(PaymentConsumerFn, 'PaymentsAwaitingStatus'),
      of(CheckStatusFn, 'PaymentsSettledByStatusCheck'),
      of(CheckStatusFn, 'PaymentDeadlinesReached'),
      of(CheckStatusFn, 'PaymentStatusChecks'),
      of(PaymentConsumerFn, 'PaymentsVoided'),
      of(PaymentConsumerFn, 'PaymentsRefunded'),
      of(PaymentReconcilerFn, 'PaymentsReconcileFound'),
      of(PaymentConsumerFn, 'PspCircuitOpened'),
    ],
  },
  {
    title: 'Payment releases and the payment reconciler',
    unit: 'count',
    series: [
      of(PaymentConsumerFn, 'PaymentReversalsDeferred'),
      of(CheckStatusFn, 'PaymentsFailedUnreleased'),
      of(PaymentReconcilerFn, 'PaymentsReconciled'),
      of(PaymentReconcilerFn, 'PaymentsReconcileDeferred'),
    ],
  },
  {
    title: 'PSP authorization latency (ms)',
    unit: 'ms',
    series: [
      of(PaymentConsumerFn, 'PspAuthorizeLatencyMs', 'p50'),
      of(PaymentConsumerFn, 'PspAuthorizeLatencyMs', 'p99'),
    ],
  },
  {
    title: 'Outbox per service: publish failures, rows swept and rows quarantined',
    unit: 'count',
    series: [],
    perService: [
      { metric: 'OutboxPublishFailures', stat: 'Sum', suffix: 'failures' },
      { metric: 'OutboxSweepFound', stat: 'Sum', suffix: 'swept' },
      { metric: 'OutboxQuarantined', stat: 'Sum', suffix: 'quarantined' },
    ],
  },
  {
    title: 'Outbox per service: publish lag p99 (ms)',
    unit: 'ms',
    series: [],
    perService: [{ metric: 'OutboxPublishLagMs', stat: 'p99', suffix: 'p99' }],
  },
  {
    title: 'Consumers: events consumed and dead-lettered',
    unit: 'count',
    series: [],
    perService: [
      { metric: 'EventsConsumed', stat: 'Sum', suffix: 'consumed' },
      { metric: 'EventsDeadLettered', stat: 'Sum', suffix: 'dead-lettered' },
      { metric: 'DiscardedBatchesUnreadable', stat: 'Sum', suffix: 'unreadable discarded batches' },
    ],
  },
  {
    title: 'Consumers: duplicates skipped and records parked',
    unit: 'count',
    series: [],
    perService: [
      { metric: 'EventsSkippedDuplicate', stat: 'Sum', suffix: 'duplicates' },
      { metric: 'EventsParked', stat: 'Sum', suffix: 'parked' },
      { metric: 'ParkedDue', stat: 'Maximum', suffix: 'due' },
    ],
  },
  {
    title: 'Notifications',
    unit: 'count',
    series: [
      of(NotificationConsumerFn, 'NotificationsSent'),
      of(NotificationConsumerFn, 'NotificationsFailed'),
      of(NotificationConsumerFn, 'NotificationCircuitOpened'),
    ],
  },
  {
    title: 'Shipping',
    unit: 'count',
    series: [
      of(ShippingConsumerFn, 'ShipmentsCreated'),
      of(ShippingConsumerFn, 'ShipmentsFailed'),
      of(ShippingConsumerFn, 'ShipmentsCancelled'),
      of(ShippingConsumerFn, 'CancelsTooLate'),
      of(CarrierWebhookFn, 'OrdersShipped'),
      of(CarrierWebhookFn, 'OrdersDelivered'),
      of(CarrierWebhookFn, 'WebhooksRejected'),
    ],
  },
];

/** A panel's line with its value since the start and its timeline (one value per period, oldest first). */
export interface SeriesValue {
  readonly label: string;
  readonly value: number | null;
  readonly timeline: readonly (number | null)[];
}

export interface PanelValue {
  readonly title: string;
  readonly unit: PanelSpec['unit'];
  readonly series: readonly SeriesValue[];
}

/** Every panel's lines (per-service panels expanded over the services seen), from the stored metrics. */
export function evaluatePanels(
  store: MetricStore,
  panels: readonly PanelSpec[],
  timeline: { now: number; periodMs: number; periods: number },
): PanelValue[] {
  const seen = store.names(BUSINESS_NAMESPACE, 'service');
  return panels.map((panel) => {
    const specs = [
      ...panel.series,
      ...(panel.perService ?? []).flatMap(({ metric, stat, suffix }) =>
        [...(seen.get(metric) ?? [])].sort().map((service) => ({
          label: `${service} ${suffix}`,
          metric,
          service,
          stat,
        })),
      ),
    ];
    return {
      title: panel.title,
      unit: panel.unit,
      series: specs.map((spec) => {
        const query = {
          namespace: BUSINESS_NAMESPACE,
          name: spec.metric,
          ...(spec.service ? { dimensions: { service: spec.service } } : {}),
        };
        return {
          label: spec.label,
          value: store.get(query, spec.stat),
          timeline: store.timeline(query, spec.stat, timeline),
        };
      }),
    };
  });
}
