import { describe, expect, it } from 'vitest';
import { matchesAnyFilter, matchesPattern } from '#localstack/runtime/filter';

/** A DynamoDB stream record as a mapping filters it (attribute values in DynamoDB JSON). */
function streamRecord(eventName: string, image: Record<string, unknown>): Record<string, unknown> {
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { pk: { S: 'ORDER#1' } }, NewImage: image, SequenceNumber: '100' },
  };
}

const outboxInsert = streamRecord('INSERT', {
  pk: { S: 'OUTBOX#1' },
  eventType: { S: 'OrderCreated' },
  attempt: { N: '2' },
  tags: { SS: ['priority', 'eu'] },
});

describe('Function: matchesPattern', () => {
  it('matches a value listed in the pattern, through nested objects', () => {
    // Prepare
    const pattern = { eventName: ['INSERT'], dynamodb: { NewImage: { eventType: { S: ['OrderCreated'] } } } };

    // Act
    const matched = matchesPattern(pattern, outboxInsert);

    // Assess
    expect(matched).toBe(true);
  });

  it('does not match when one key of the pattern does not match (keys are combined with AND)', () => {
    // Prepare
    const pattern = { eventName: ['INSERT'], dynamodb: { NewImage: { eventType: { S: ['OrderPaid'] } } } };

    // Act
    const matched = matchesPattern(pattern, outboxInsert);

    // Assess
    expect(matched).toBe(false);
  });

  it('matches any of several listed values (values are combined with OR)', () => {
    // Prepare
    const pattern = { eventName: ['MODIFY', 'INSERT'] };

    // Act
    const matched = matchesPattern(pattern, outboxInsert);
    const unmatched = matchesPattern(pattern, streamRecord('REMOVE', {}));

    // Assess
    expect(matched).toBe(true);
    expect(unmatched).toBe(false);
  });

  it('matches a list in the data when any of its elements matches', () => {
    // Prepare
    const pattern = { dynamodb: { NewImage: { tags: { SS: ['eu'] } } } };

    // Act
    const matched = matchesPattern(pattern, outboxInsert);
    const unmatched = matchesPattern({ dynamodb: { NewImage: { tags: { SS: ['us'] } } } }, outboxInsert);

    // Assess
    expect(matched).toBe(true);
    expect(unmatched).toBe(false);
  });

  it('matches a nested pattern against a list of maps when any element matches, as EventBridge flattens arrays', () => {
    // Prepare
    const pattern = {
      dynamodb: { NewImage: { outbox: { L: { M: { eventId: { S: [{ exists: true }] } } } } } },
    };
    const withEvents = streamRecord('MODIFY', {
      pk: { S: 'ORDER#1' },
      outbox: { L: [{ M: { eventId: { S: '01A' } } }, { M: { eventId: { S: '01B' } } }] },
    });
    const withoutEvents = streamRecord('MODIFY', { pk: { S: 'ORDER#1' }, outbox: { L: [] } });
    const withoutAttribute = streamRecord('MODIFY', { pk: { S: 'ORDER#1' } });

    // Act
    const matches = [withEvents, withoutEvents, withoutAttribute].map((record) =>
      matchesPattern(pattern, record),
    );

    // Assess
    expect(matches).toEqual([true, false, false]);
  });

  it('applies exists to leaf values only: a map or a list of maps does not count as present', () => {
    // Prepare
    const pattern = { dynamodb: { NewImage: { outbox: { L: [{ exists: true }] } } } };
    const record = streamRecord('MODIFY', { outbox: { L: [{ M: { eventId: { S: '01A' } } }] } });

    // Act
    const matched = matchesPattern(pattern, record);

    // Assess
    expect(matched).toBe(false);
  });

  it('matches a bare scalar in the pattern as an exact value', () => {
    // Prepare
    const pattern = { eventSource: 'aws:dynamodb' };

    // Act
    const matched = matchesPattern(pattern, outboxInsert);
    const unmatched = matchesPattern({ eventSource: 'aws:kinesis' }, outboxInsert);

    // Assess
    expect(matched).toBe(true);
    expect(unmatched).toBe(false);
  });

  it('matches a prefix or a suffix of a string', () => {
    // Prepare
    const image = (pattern: unknown) => ({ dynamodb: { NewImage: { pk: { S: pattern } } } });

    // Act
    const results = [
      matchesPattern(image([{ prefix: 'OUTBOX#' }]), outboxInsert),
      matchesPattern(image([{ prefix: 'ORDER#' }]), outboxInsert),
      matchesPattern(image([{ suffix: '#1' }]), outboxInsert),
      matchesPattern(image([{ suffix: '#2' }]), outboxInsert),
    ];

    // Assess
    expect(results).toEqual([true, false, true, false]);
  });

  it('matches on the presence or absence of a key with exists', () => {
    // Prepare
    const exists = (present: boolean, key: string) => ({
      dynamodb: { NewImage: { [key]: { S: [{ exists: present }] } } },
    });

    // Act
    const results = [
      matchesPattern(exists(true, 'eventType'), outboxInsert),
      matchesPattern(exists(true, 'publishedAt'), outboxInsert),
      matchesPattern(exists(false, 'publishedAt'), outboxInsert),
      matchesPattern(exists(false, 'eventType'), outboxInsert),
    ];

    // Assess
    expect(results).toEqual([true, false, true, false]);
  });

  it('matches anything but one value or a list of values', () => {
    // Prepare
    const pattern = (excluded: unknown) => ({ eventName: [{ 'anything-but': excluded }] });

    // Act
    const results = [
      matchesPattern(pattern('REMOVE'), outboxInsert),
      matchesPattern(pattern('INSERT'), outboxInsert),
      matchesPattern(pattern(['MODIFY', 'REMOVE']), outboxInsert),
      matchesPattern(pattern(['INSERT', 'MODIFY']), outboxInsert),
    ];

    // Assess
    expect(results).toEqual([true, false, true, false]);
  });

  it('compares numbers, also given as the strings of DynamoDB number attributes', () => {
    // Prepare
    const attempt = (numeric: (string | number)[]) => ({
      dynamodb: { NewImage: { attempt: { N: [{ numeric }] } } },
    });

    // Act
    const results = [
      matchesPattern(attempt(['=', 2]), outboxInsert),
      matchesPattern(attempt(['>', 1, '<=', 2]), outboxInsert),
      matchesPattern(attempt(['>=', 2, '<', 3]), outboxInsert),
      matchesPattern(attempt(['>', 2]), outboxInsert),
      matchesPattern(attempt(['<', 2]), outboxInsert),
      matchesPattern(attempt(['>', 0, '<', 2]), outboxInsert),
    ];

    // Assess
    expect(results).toEqual([true, true, true, false, false, false]);
  });

  it('does not match a numeric rule against a value that is not a number', () => {
    // Prepare
    const pattern = { dynamodb: { NewImage: { eventType: { S: [{ numeric: ['>', 0] }] } } } };

    // Act
    const matched = matchesPattern(pattern, outboxInsert);

    // Assess
    expect(matched).toBe(false);
  });

  it('does not match a value rule against a missing key, nor against missing data', () => {
    // Prepare
    const pattern = { dynamodb: { OldImage: { eventType: { S: [{ prefix: '' }] } } } };

    // Act
    const missingKey = matchesPattern(pattern, outboxInsert);
    const missingData = matchesPattern({ eventName: ['INSERT'] }, undefined);

    // Assess
    expect(missingKey).toBe(false);
    expect(missingData).toBe(false);
  });
});

describe('Function: matchesAnyFilter', () => {
  it('lets every record through when the mapping has no filter', () => {
    // Prepare
    const filters: Record<string, unknown>[] = [];

    // Act
    const matched = matchesAnyFilter(filters, streamRecord('REMOVE', {}));

    // Assess
    expect(matched).toBe(true);
  });

  it('lets a record through when any one of the filters matches it', () => {
    // Prepare
    const filters = [
      { eventName: ['MODIFY'] },
      { dynamodb: { NewImage: { pk: { S: [{ prefix: 'OUTBOX#' }] } } } },
    ];

    // Act
    const matched = matchesAnyFilter(filters, outboxInsert);
    const unmatched = matchesAnyFilter(filters, streamRecord('INSERT', { pk: { S: 'ORDER#1' } }));

    // Assess
    expect(matched).toBe(true);
    expect(unmatched).toBe(false);
  });
});
