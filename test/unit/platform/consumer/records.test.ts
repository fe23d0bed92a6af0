import { describe, expect, it } from 'vitest';
import { decodeMskEvent } from '#platform/consumer/records';
import { mskEvent } from '#test/helpers/msk';

describe('Function: decodeMskEvent', () => {
  it('decodes keys, values and headers and sorts each partition by offset', () => {
    // Prepare
    const event = mskEvent([
      {
        topic: 'orders.events',
        partition: 1,
        offset: 12,
        key: 'o-2',
        value: 'second',
        headers: { eventId: 'e2' },
      },
      {
        topic: 'orders.events',
        partition: 1,
        offset: 9,
        key: 'o-1',
        value: 'first',
        headers: { eventId: 'e1' },
      },
      { topic: 'orders.events', partition: 0, offset: 100, key: 'o-3', value: { a: 1 } },
    ]);

    // Act
    const batches = decodeMskEvent(event);

    // Assess
    expect(batches.map((batch) => `${batch.topic}-${batch.partition}`)).toEqual([
      'orders.events-1',
      'orders.events-0',
    ]);
    expect(batches[0]?.records).toEqual([
      {
        record: { topic: 'orders.events', partition: 1, offset: '9', key: 'o-1', headers: { eventId: 'e1' } },
        value: 'first',
      },
      {
        record: {
          topic: 'orders.events',
          partition: 1,
          offset: '12',
          key: 'o-2',
          headers: { eventId: 'e2' },
        },
        value: 'second',
      },
    ]);
    expect(batches[1]?.records[0]?.value).toBe('{"a":1}');
  });

  it('returns no batches for an event without records', () => {
    // Prepare
    const event = { records: {} };

    // Act
    const batches = decodeMskEvent(event);

    // Assess
    expect(batches).toEqual([]);
  });
});
