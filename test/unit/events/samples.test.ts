import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, parseEvent, versionsOf } from '#events';
import { readSampleFile, sampleFiles } from './helpers';

describe('Function: parseEvent (samples)', () => {
  const files = sampleFiles();

  it('has exactly one sample per registered event type and version', () => {
    // Prepare
    const expected = EVENT_TYPES.flatMap((type) =>
      versionsOf(type).map((version) => `${type}.v${version}.json`),
    );

    // Act
    const actual = [...files];

    // Assess
    expect(actual).toEqual([...expected].sort());
    expect(actual).toHaveLength(EVENT_TYPES.reduce((count, type) => count + versionsOf(type).length, 0));
  });

  it.each(files)('parses the sample %s as the type and version its name says', (file) => {
    // Prepare
    const [type, version] = file.replace(/\.json$/, '').split('.v');
    const raw = readSampleFile(file);

    // Act
    const result = parseEvent(raw);

    // Assess
    expect(result.ok ? [] : result.error.issues).toEqual([]);
    expect(result.ok && result.event.eventType).toBe(type);
    expect(result.ok && result.event.eventVersion).toBe(Number(version));
    expect(result.ok && result.event).toEqual(raw);
  });

  it('keeps one aggregate together: the payload orderId (a stock adjustment: productId) is the aggregateId in every sample', () => {
    // Prepare
    const events = files.map((file) => parseEvent(readSampleFile(file)));

    // Act
    const mismatched = events.filter(
      (result) =>
        !result.ok ||
        (result.event.eventType === 'StockAdjusted'
          ? result.event.payload.productId
          : result.event.payload.orderId) !== result.event.aggregateId,
    );

    // Assess
    expect(events).toHaveLength(files.length);
    expect(mismatched).toEqual([]);
  });
});
