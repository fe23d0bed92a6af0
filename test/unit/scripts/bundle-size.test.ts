import { describe, expect, it } from 'vitest';
import { formatSizeTable, median, type SizeRow } from '#scripts/bundle-size';

describe('Function: median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    // Act & Assess
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 30, 20])).toBe(25);
    expect(median([])).toBeNaN();
  });
});

describe('Function: formatSizeTable', () => {
  it('prints a row per function against the goals and a summary', () => {
    // Prepare
    const rows: SizeRow[] = [
      {
        stack: 'OrderSaga-dev-Orders',
        logicalId: 'CreateOrder',
        handlerBytes: 200 * 1024,
        totalBytes: 500 * 1024,
        initMs: 80,
        runs: [80, 81, 79, 80, 90],
      },
      {
        stack: 'OrderSaga-dev-Payments',
        logicalId: 'Consumer',
        handlerBytes: 400 * 1024,
        totalBytes: 900 * 1024,
        initMs: 150.4,
        runs: [150, 151, 149, 150, 160],
      },
      {
        stack: 'OrderSaga-dev-Payments',
        logicalId: 'Broken',
        handlerBytes: 1024,
        totalBytes: 2048,
        initMs: undefined,
        runs: [],
        error: 'Broken: import failed (exit 1)',
      },
    ];

    // Act
    const text = formatSizeTable(rows);

    // Assess
    expect(text.split('\n')).toEqual([
      '| stack | function | handler file | asset total | init (median) | ≤ 300.0 KB | ≤ 100 ms |',
      '| --- | --- | ---: | ---: | ---: | --- | --- |',
      '| Orders | CreateOrder | 200.0 KB | 500.0 KB | 80 ms | ok | ok |',
      '| Payments | Consumer | 400.0 KB | 900.0 KB | 150 ms | over | over |',
      '| Payments | Broken | 1.0 KB | 2.0 KB | failed: Broken: import failed (exit 1) | ok | - |',
      '',
      '2/3 handler files within 300.0 KB, 1/3 inits within 100 ms.',
    ]);
  });
});
