import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '#localstack/runtime/ops/emf';
import { MetricStore, statistic } from '#localstack/runtime/ops/metrics';
import { BUSINESS_NAMESPACE, BUSINESS_PANELS, evaluatePanels } from '#localstack/runtime/ops/panels';

const point = (name: string, service: string, values: number[], timestamp: number): MetricPoint => ({
  namespace: BUSINESS_NAMESPACE,
  name,
  unit: 'Count',
  dimensions: { service },
  values,
  timestamp,
});

describe('Function: statistic', () => {
  it('computes CloudWatch statistics, with 0 for a sum of nothing and null for a maximum of nothing', () => {
    // Prepare
    const values = [3, 9, 1, 5];

    // Act
    const result = {
      sum: statistic(values, 'Sum'),
      count: statistic(values, 'SampleCount'),
      max: statistic(values, 'Maximum'),
      p50: statistic(values, 'p50'),
      emptySum: statistic([], 'Sum'),
      emptyMax: statistic([], 'Maximum'),
    };

    // Assess
    expect(result).toEqual({ sum: 18, count: 4, max: 9, p50: 3, emptySum: 0, emptyMax: null });
  });
});

describe('Class: MetricStore', () => {
  it('sums a metric over every service, or under the service a query names', () => {
    // Prepare
    const store = new MetricStore();
    store.add([
      point('EventsConsumed', 'inventory', [2], 1_000),
      point('EventsConsumed', 'payments', [1, 1], 2_000),
    ]);

    // Act
    const all = store.get({ namespace: BUSINESS_NAMESPACE, name: 'EventsConsumed' }, 'Sum');
    const payments = store.get(
      { namespace: BUSINESS_NAMESPACE, name: 'EventsConsumed', dimensions: { service: 'payments' } },
      'Sum',
    );

    // Assess
    expect([all, payments]).toEqual([4, 2]);
  });

  it('drops values older than the retention and beyond the per-series cap when new ones arrive', () => {
    // Prepare
    const store = new MetricStore({ retentionMs: 10_000, maxSamplesPerSeries: 3 });
    store.add([point('OrdersCreated', 'orders', [1], 0)]);

    // Act
    store.add([point('OrdersCreated', 'orders', [1, 1, 1, 1], 20_000)]);

    // Assess
    expect(store.values({ namespace: BUSINESS_NAMESPACE, name: 'OrdersCreated' })).toEqual([1, 1, 1]);
  });

  it('buckets a timeline per period, oldest first, with null where a percentile has no value', () => {
    // Prepare
    const store = new MetricStore();
    store.add([
      point('SagaDurationMs', 'orders', [100, 300], 60_500),
      point('SagaDurationMs', 'orders', [900], 179_999),
    ]);

    // Act
    const timeline = store.timeline({ namespace: BUSINESS_NAMESPACE, name: 'SagaDurationMs' }, 'p99', {
      now: 180_000,
      periodMs: 60_000,
      periods: 3,
    });

    // Assess
    expect(timeline).toEqual([null, 300, 900]);
  });
});

describe('Function: evaluatePanels', () => {
  it('computes the dashboard panels, one line per service that emitted a per-service metric', () => {
    // Prepare
    const store = new MetricStore();
    store.add([
      point('OrdersConfirmed', 'orders', [1, 1], 1_000),
      point('EventsConsumed', 'payments', [4], 1_000),
      point('EventsConsumed', 'inventory', [3], 1_000),
    ]);

    // Act
    const panels = evaluatePanels(store, BUSINESS_PANELS, { now: 60_000, periodMs: 60_000, periods: 1 });

    // Assess
    const saga = panels.find((panel) => panel.title.startsWith('Saga: orders'));
    const consumers = panels.find((panel) => panel.title.startsWith('Consumers: events consumed'));
    expect(saga?.series.find((series) => series.label === 'OrdersConfirmed')).toEqual({
      label: 'OrdersConfirmed',
      value: 2,
      timeline: [2],
    });
    expect(consumers?.series.map((series) => [series.label, series.value])).toEqual([
      ['inventory consumed', 3],
      ['payments consumed', 4],
    ]);
  });
});
