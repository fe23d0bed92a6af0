import { describe, expect, it } from 'vitest';
import { parseEmfLine } from '#localstack/runtime/ops/emf';

/** An EMF line as Powertools Metrics writes it for one service. */
function emfLine(metrics: Record<string, number | number[]>, units: Record<string, string> = {}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: 1_764_662_400_000,
      CloudWatchMetrics: [
        {
          Namespace: 'OrderSaga',
          Dimensions: [['service']],
          Metrics: Object.keys(metrics).map((name) => ({ Name: name, Unit: units[name] ?? 'Count' })),
        },
      ],
    },
    service: 'orders',
    ...metrics,
  });
}

describe('Function: parseEmfLine', () => {
  it('returns one point per metric with its unit, service dimension and timestamp', () => {
    // Prepare
    const line = emfLine({ OrdersConfirmed: 1, SagaDurationMs: 812 }, { SagaDurationMs: 'Milliseconds' });

    // Act
    const points = parseEmfLine(line);

    // Assess
    expect(points).toEqual([
      {
        namespace: 'OrderSaga',
        name: 'OrdersConfirmed',
        unit: 'Count',
        dimensions: { service: 'orders' },
        values: [1],
        timestamp: 1_764_662_400_000,
      },
      {
        namespace: 'OrderSaga',
        name: 'SagaDurationMs',
        unit: 'Milliseconds',
        dimensions: { service: 'orders' },
        values: [812],
        timestamp: 1_764_662_400_000,
      },
    ]);
  });

  it('keeps every value when a metric carries an array of values', () => {
    // Prepare
    const line = emfLine({ OutboxPublishLagMs: [12, 40, 7] });

    // Act
    const [point] = parseEmfLine(line);

    // Assess
    expect(point?.values).toEqual([12, 40, 7]);
  });

  it('reads the document after a prefix, as a log file line carries one', () => {
    // Prepare
    const line = `2026-12-02T08:00:00.000Z [OrderSaga-dev-Orders-CreateOrder] ${emfLine({ OrdersCreated: 1 })}`;

    // Act
    const points = parseEmfLine(line);

    // Assess
    expect(points.map((point) => point.name)).toEqual(['OrdersCreated']);
  });

  it('reports a metric once per dimension set, and skips a set naming a key the line lacks', () => {
    // Prepare
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: 'OrderSaga',
            Dimensions: [['service'], ['service', 'function'], ['region']],
            Metrics: [{ Name: 'EventsConsumed', Unit: 'Count' }],
          },
        ],
      },
      service: 'inventory',
      function: 'consumer',
      EventsConsumed: 3,
    });

    // Act
    const points = parseEmfLine(line);

    // Assess
    expect(points.map((point) => point.dimensions)).toEqual([
      { service: 'inventory' },
      { service: 'inventory', function: 'consumer' },
    ]);
  });

  it('returns nothing for ordinary log lines, malformed JSON and documents without metrics', () => {
    // Prepare
    const lines = [
      '{"level":"INFO","message":"Order placed","service":"orders"}',
      'not json at all',
      '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [',
      '{"_aws": {"Timestamp": 1}}',
      JSON.stringify({
        _aws: { CloudWatchMetrics: [{ Namespace: 'OrderSaga', Metrics: [{ Name: 'X' }] }] },
        X: 'not a number',
      }),
    ];

    // Act
    const points = lines.flatMap((line) => parseEmfLine(line));

    // Assess
    expect(points).toEqual([]);
  });
});
