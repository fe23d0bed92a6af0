import { describe, expect, it } from 'vitest';
import {
  filterView,
  groupByPartition,
  type MskRecord,
  reportedFailures,
} from '#localstack/runtime/kafka-mapping';

const record = (topic: string, partition: number, offset: number, value: string): MskRecord => ({
  topic,
  partition,
  offset,
  timestamp: 1_700_000_000_000,
  timestampType: 'CREATE_TIME',
  value: Buffer.from(value).toString('base64'),
  headers: [],
});

const batch = [
  record('orders', 0, 4, '{}'),
  record('orders', 0, 5, '{}'),
  record('orders', 1, 9, '{}'),
  record('payments', 0, 2, '{}'),
];

describe('Function: reportedFailures', () => {
  it('reads the lowest reported offset of each topic-partition from a Kafka partial batch response', () => {
    // Prepare
    const payload = {
      batchItemFailures: [
        { itemIdentifier: { partition: 'orders-0', offset: 5 } },
        { itemIdentifier: { partition: 'orders-0', offset: 4 } },
        { itemIdentifier: { partition: 'payments-0', offset: 2 } },
      ],
    };

    // Act
    const failures = reportedFailures(batch, payload);

    // Assess
    expect(failures).toEqual(
      new Map([
        ['orders-0', 4],
        ['payments-0', 2],
      ]),
    );
  });

  it('treats an empty or absent report as a success', () => {
    // Act
    const results = [null, {}, { batchItemFailures: [] }, { batchItemFailures: null }].map((payload) =>
      reportedFailures(batch, payload),
    );

    // Assess
    expect(results).toEqual([undefined, undefined, undefined, undefined]);
  });

  it.each([
    ['a stream-style string identifier', { itemIdentifier: '5' }],
    ['a null identifier', { itemIdentifier: null }],
    ['a record that is not in the batch', { itemIdentifier: { partition: 'orders-1', offset: 10 } }],
    ['a missing offset', { itemIdentifier: { partition: 'orders-1' } }],
  ])('fails the whole batch for %s', (_, failure) => {
    // Act
    const failures = reportedFailures(batch, { batchItemFailures: [failure] });

    // Assess
    expect(failures).toBe('invalid');
  });
});

describe('Function: filterView', () => {
  it('shows a JSON value to the filters as the parsed object', () => {
    // Act
    const view = filterView(record('orders', 0, 1, '{"kind":"keep","n":1}'));

    // Assess
    expect(view).toEqual({ value: { kind: 'keep', n: 1 } });
  });

  it('shows any other value as the plain string', () => {
    // Act
    const view = filterView(record('orders', 0, 1, 'plain text'));

    // Assess
    expect(view).toEqual({ value: 'plain text' });
  });
});

describe('Function: groupByPartition', () => {
  it('keys records by topic-partition, each list in offset order', () => {
    // Prepare
    const records = [record('orders', 1, 9, 'c'), record('orders', 0, 5, 'b'), record('orders', 0, 4, 'a')];

    // Act
    const grouped = groupByPartition(records);

    // Assess
    expect(
      Object.fromEntries(Object.entries(grouped).map(([key, list]) => [key, list.map((r) => r.offset)])),
    ).toEqual({ 'orders-1': [9], 'orders-0': [4, 5] });
  });
});
