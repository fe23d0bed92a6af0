import { describe, expect, it } from 'vitest';
import {
  EVENT_SCHEMAS,
  EVENT_TYPES,
  envelopeSchemaFor,
  isEventType,
  LATEST_VERSIONS,
  MoneySchema,
  payloadSchemaFor,
  versionsOf,
} from '#events';
import { sample } from './helpers';

describe('Constant: EVENT_SCHEMAS', () => {
  it('registers the event types of the saga, the back office stock adjustment and shipping', () => {
    // Act
    const types = Object.keys(EVENT_SCHEMAS);

    // Assess
    expect(types).toEqual(EVENT_TYPES);
    expect(types).toHaveLength(19);
  });

  it.each(EVENT_TYPES)('declares the highest registered version of %s as its latest', (type) => {
    // Act
    const versions = versionsOf(type);

    // Assess
    expect(versions.length).toBeGreaterThan(0);
    expect(LATEST_VERSIONS[type]).toBe(Math.max(...versions));
  });
});

describe('Function: isEventType', () => {
  it.each([
    ['OrderCreated', true],
    ['NotificationFailed', true],
    ['OrderReturned', false],
    ['hasOwnProperty', false],
    [42, false],
  ])('returns %j → %j', (value, expected) => {
    // Act
    const result = isEventType(value);

    // Assess
    expect(result).toBe(expected);
  });
});

describe('Function: payloadSchemaFor', () => {
  it('returns undefined for an unregistered version', () => {
    // Act
    const schema = payloadSchemaFor('OrderCreated', 2);

    // Assess
    expect(schema).toBeUndefined();
    expect(payloadSchemaFor('OrderCreated', 1)).toBe(EVENT_SCHEMAS.OrderCreated[1]);
  });
});

describe('Function: envelopeSchemaFor', () => {
  it('accepts a complete event of its type and rejects one of another type', () => {
    // Prepare
    const schema = envelopeSchemaFor('OrderConfirmed', 1);

    // Act
    const own = schema?.safeParse(sample('OrderConfirmed'));
    const other = schema?.safeParse(sample('OrderCancelled'));

    // Assess
    expect(own?.success).toBe(true);
    expect(other?.success).toBe(false);
  });
});

describe('Schema: MoneySchema', () => {
  it.each([
    [{ amountMinor: 0, currency: 'EUR' }, true],
    [{ amountMinor: Number.MAX_SAFE_INTEGER, currency: 'USD' }, true],
    [{ amountMinor: -1, currency: 'EUR' }, false],
    [{ amountMinor: 12.5, currency: 'EUR' }, false],
    [{ amountMinor: Number.MAX_SAFE_INTEGER + 1, currency: 'EUR' }, false],
    [{ amountMinor: Number.NaN, currency: 'EUR' }, false],
    [{ amountMinor: 100, currency: 'Eur' }, false],
    [{ amountMinor: 100, currency: 'EURO' }, false],
    [{ amountMinor: 100 }, false],
    [{ amountMinor: 100, currency: 'EUR', precision: 2 }, false],
  ])('validates %j as %j', (money, valid) => {
    // Act
    const result = MoneySchema.safeParse(money);

    // Assess
    expect(result.success).toBe(valid);
  });
});
