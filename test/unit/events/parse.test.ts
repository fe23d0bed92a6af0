import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { EventParseError, type EventParseErrorKind, type ParseResult, parseEvent } from '#events';
import { sample, without, withValue } from './helpers';

function expectFailure(result: ParseResult, kind: EventParseErrorKind): EventParseError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error(`Expected ${kind}, got a valid ${result.event.eventType}`);
  expect(result.error).toBeInstanceOf(EventParseError);
  expect(result.error.kind).toBe(kind);
  return result.error;
}

function paths(error: EventParseError): string[] {
  return error.issues.map((issue) => issue.path);
}

describe('Function: parseEvent', () => {
  describe('input forms', () => {
    it('accepts JSON text', () => {
      // Prepare
      const input = JSON.stringify(sample('OrderCreated'));

      // Act
      const result = parseEvent(input);

      // Assess
      expect(result.ok && result.event.eventType).toBe('OrderCreated');
    });

    it('accepts UTF-8 bytes, such as a Kafka record value', () => {
      // Prepare
      const input = Buffer.from(JSON.stringify(sample('PaymentSucceeded')), 'utf8');

      // Act
      const result = parseEvent(input);

      // Assess
      expect(result.ok && result.event.eventType).toBe('PaymentSucceeded');
    });

    it('accepts an already parsed object and returns a typed event', () => {
      // Prepare
      const input = sample('StockReserved');

      // Act
      const result = parseEvent(input);

      // Assess
      expect(result.ok).toBe(true);
      if (result.ok && result.event.eventType === 'StockReserved') {
        expect(result.event.payload.reservationId).toBe(input.payload.reservationId);
      } else {
        throw new Error('Expected a StockReserved event');
      }
    });
  });

  describe('NOT_JSON', () => {
    it('returns NOT_JSON when the text is not JSON', () => {
      // Prepare
      const input = '{"eventId": ';

      // Act
      const error = expectFailure(parseEvent(input), 'NOT_JSON');

      // Assess
      expect(error.cause).toBeInstanceOf(SyntaxError);
      expect(error.issues).toHaveLength(1);
    });

    it('returns NOT_JSON when the bytes are not UTF-8', () => {
      // Prepare
      const input = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);

      // Act
      const error = expectFailure(parseEvent(input), 'NOT_JSON');

      // Assess
      expect(error.cause).toBeInstanceOf(TypeError);
    });

    it('returns NOT_JSON for an empty string', () => {
      // Act
      const error = expectFailure(parseEvent(''), 'NOT_JSON');

      // Assess
      expect(error.message).toMatch(/not valid JSON/);
    });
  });

  describe('INVALID_ENVELOPE', () => {
    it('returns INVALID_ENVELOPE when correlationId is missing', () => {
      // Prepare
      const input = without(sample('OrderCreated'), ['correlationId']);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_ENVELOPE');

      // Assess
      expect(paths(error)).toEqual(['correlationId']);
      expect(error.cause).toBeInstanceOf(z.ZodError);
    });

    it('returns INVALID_ENVELOPE when payload is missing', () => {
      // Prepare
      const input = without(sample('OrderConfirmed'), ['payload']);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_ENVELOPE');

      // Assess
      expect(paths(error)).toEqual(['payload']);
    });

    it.each([
      ['lower case', '01jn8s7qg07vxvqkxb80jart8r'],
      ['25 characters', '01JN8S7QG07VXVQKXB80JART8'],
      ['a U, which Crockford base32 excludes', '01JN8S7QG07VXVQKXB80JART8U'],
      ['a timestamp beyond 48 bits', '81JN8S7QG07VXVQKXB80JART8R'],
      ['a UUID', '6f1c2a9e-3b7d-4c1e-9a55-0d2f8e7b1c43'],
    ])('returns INVALID_ENVELOPE when eventId is not a ULID (%s)', (_case, eventId) => {
      // Prepare
      const input = withValue(sample('OrderCreated'), ['eventId'], eventId);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_ENVELOPE');

      // Assess
      expect(paths(error)).toEqual(['eventId']);
    });

    it.each([
      ['occurredAt with an offset instead of UTC', ['occurredAt'], '2025-03-01T13:00:00+01:00'],
      ['occurredAt without time', ['occurredAt'], '2025-03-01'],
      ['eventVersion zero', ['eventVersion'], 0],
      ['eventVersion not an integer', ['eventVersion'], 1.5],
      ['eventVersion as a string', ['eventVersion'], '1'],
      ['empty source', ['source'], ''],
      ['empty aggregateId', ['aggregateId'], ''],
      ['causationId missing its null', ['causationId'], undefined],
      ['unknown trace field', ['trace', 'baggage'], 'k=v'],
      ['unknown envelope field', ['partition'], 3],
    ])('returns INVALID_ENVELOPE for %s', (_case, path, value) => {
      // Prepare
      const input = withValue(sample('OrderCreated'), path, value);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_ENVELOPE');

      // Assess
      expect(error.issues.length).toBeGreaterThan(0);
    });

    it.each([
      ['null', null],
      ['an array', []],
      ['a number', 42],
      ['JSON text of a string', '"OrderCreated"'],
    ])('returns INVALID_ENVELOPE when the input is %s', (_case, input) => {
      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_ENVELOPE');

      // Assess
      expect(error.eventId).toBeUndefined();
    });

    it('checks the envelope before the event type', () => {
      // Prepare
      const input = withValue(without(sample('OrderCreated'), ['source']), ['eventType'], 'OrderReturned');

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_ENVELOPE');

      // Assess
      expect(paths(error)).toEqual(['source']);
    });

    it('returns INVALID_ENVELOPE instead of throwing when reading the input throws', () => {
      // Prepare
      const input = Object.defineProperty({}, 'eventId', {
        enumerable: true,
        get() {
          throw new Error('unreadable');
        },
      });

      // Act
      const result = parseEvent(input);

      // Assess
      const error = expectFailure(result, 'INVALID_ENVELOPE');
      expect(error.cause).toBeInstanceOf(Error);
    });
  });

  describe('UNKNOWN_EVENT_TYPE', () => {
    it.each(['OrderReturned', 'orderCreated', 'constructor', '__proto__', 'toString'])(
      'returns UNKNOWN_EVENT_TYPE for eventType %s',
      (eventType) => {
        // Prepare
        const input = withValue(sample('OrderCreated'), ['eventType'], eventType);

        // Act
        const error = expectFailure(parseEvent(input), 'UNKNOWN_EVENT_TYPE');

        // Assess
        expect(error.eventType).toBe(eventType);
        expect(paths(error)).toEqual(['eventType']);
      },
    );

    it('checks the event type before the payload', () => {
      // Prepare
      const input = withValue(
        withValue(sample('OrderCreated'), ['eventType'], 'OrderReturned'),
        ['payload'],
        'not an object',
      );

      // Act
      const error = expectFailure(parseEvent(input), 'UNKNOWN_EVENT_TYPE');

      // Assess
      expect(error.message).toContain('OrderReturned');
    });
  });

  describe('UNSUPPORTED_VERSION', () => {
    it('returns UNSUPPORTED_VERSION for version 2 of a known type', () => {
      // Prepare
      const event = sample('OrderCreated');
      const input = withValue(event, ['eventVersion'], 2);

      // Act
      const error = expectFailure(parseEvent(input), 'UNSUPPORTED_VERSION');

      // Assess
      expect(error.eventType).toBe('OrderCreated');
      expect(error.eventVersion).toBe(2);
      expect(error.eventId).toBe(event.eventId);
      expect(error.message).toBe('OrderCreated has no version 2 (supported: 1)');
    });

    it('checks the version before the payload', () => {
      // Prepare
      const input = withValue(withValue(sample('PaymentFailed'), ['eventVersion'], 7), ['payload'], {});

      // Act
      const error = expectFailure(parseEvent(input), 'UNSUPPORTED_VERSION');

      // Assess
      expect(paths(error)).toEqual(['eventVersion']);
    });
  });

  describe('INVALID_PAYLOAD', () => {
    it('returns INVALID_PAYLOAD when quantity is zero', () => {
      // Prepare
      const input = withValue(sample('OrderCreated'), ['payload', 'lines', 0, 'quantity'], 0);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.lines.0.quantity']);
      expect(error.cause).toBeInstanceOf(z.ZodError);
      expect(error.eventType).toBe('OrderCreated');
    });

    it.each([
      ['quantity above 1000', ['payload', 'lines', 0, 'quantity'], 1001, 'payload.lines.0.quantity'],
      ['fractional quantity', ['payload', 'lines', 0, 'quantity'], 1.5, 'payload.lines.0.quantity'],
      ['negative money', ['payload', 'total', 'amountMinor'], -1, 'payload.total.amountMinor'],
      [
        'float money',
        ['payload', 'lines', 0, 'unitPrice', 'amountMinor'],
        29.99,
        'payload.lines.0.unitPrice.amountMinor',
      ],
      [
        'money beyond safe integers',
        ['payload', 'total', 'amountMinor'],
        2 ** 53,
        'payload.total.amountMinor',
      ],
      ['money as a string', ['payload', 'total', 'amountMinor'], '9997', 'payload.total.amountMinor'],
      ['lower-case currency', ['payload', 'total', 'currency'], 'eur', 'payload.total.currency'],
      ['no lines', ['payload', 'lines'], [], 'payload.lines'],
      [
        'a payment method other than card',
        ['payload', 'payment', 'method'],
        'paypal',
        'payload.payment.method',
      ],
      ['createdAt not a timestamp', ['payload', 'createdAt'], 'yesterday', 'payload.createdAt'],
      ['empty customerId', ['payload', 'customerId'], '', 'payload.customerId'],
      ['an id longer than 128 characters', ['payload', 'orderId'], 'x'.repeat(129), 'payload.orderId'],
      ['an unknown payload field', ['payload', 'coupon'], 'SPRING', 'payload'],
      ['an unknown line field', ['payload', 'lines', 1, 'discount'], 5, 'payload.lines.1'],
    ])('returns INVALID_PAYLOAD for OrderCreated with %s', (_case, path, value, expectedPath) => {
      // Prepare
      const input = withValue(sample('OrderCreated'), path, value);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual([expectedPath]);
    });

    it('returns INVALID_PAYLOAD when an order has more than 50 lines', () => {
      // Prepare
      const event = sample('OrderCreated');
      const line = { ...event.payload.lines[0], quantity: 1, lineTotal: event.payload.lines[0]?.unitPrice };
      const lines = Array.from({ length: 51 }, (_unused, index) => ({ ...line, productId: `p-${index}` }));
      const input = withValue(event, ['payload', 'lines'], lines);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.lines']);
    });

    it('returns INVALID_PAYLOAD when a lineTotal is not unitPrice × quantity', () => {
      // Prepare
      const input = withValue(
        sample('OrderCreated'),
        ['payload', 'lines', 0, 'lineTotal', 'amountMinor'],
        5999,
      );

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toContain('payload.lines.0.lineTotal.amountMinor');
    });

    it('returns INVALID_PAYLOAD when the total is not the sum of the line totals', () => {
      // Prepare
      const input = withValue(sample('OrderCreated'), ['payload', 'total', 'amountMinor'], 9998);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.total.amountMinor']);
    });

    it('returns INVALID_PAYLOAD when a line is priced in another currency than the total', () => {
      // Prepare
      const event = withValue(
        sample('OrderCreated'),
        ['payload', 'lines', 1, 'unitPrice', 'currency'],
        'USD',
      );
      const input = withValue(event, ['payload', 'lines', 1, 'lineTotal', 'currency'], 'USD');

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual([
        'payload.lines.1.unitPrice.currency',
        'payload.lines.1.lineTotal.currency',
      ]);
    });

    it('returns INVALID_PAYLOAD when a StockReserved lineTotal does not match its quantity', () => {
      // Prepare
      const input = withValue(sample('StockReserved'), ['payload', 'lines', 0, 'quantity'], 3);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.lines.0.lineTotal.amountMinor']);
    });

    it('returns INVALID_PAYLOAD when the payment splits do not sum to the amount', () => {
      // Prepare
      const input = withValue(
        sample('PaymentSucceeded'),
        ['payload', 'splits', 0, 'amount', 'amountMinor'],
        5997,
      );

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.splits']);
    });

    it('returns INVALID_PAYLOAD when a split is in another currency than the payment', () => {
      // Prepare
      const input = withValue(
        sample('PaymentSucceeded'),
        ['payload', 'splits', 1, 'amount', 'currency'],
        'USD',
      );

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.splits.1.amount.currency']);
    });

    it('returns INVALID_PAYLOAD when a payment has no splits', () => {
      // Prepare
      const input = withValue(sample('PaymentSucceeded'), ['payload', 'splits'], []);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload.splits']);
    });

    it.each([
      ['OrderCancelled', ['payload', 'reason'], 'CHANGED_MIND'],
      ['StockRejected', ['payload', 'reason'], 'OUT_OF_STOCK'],
      ['StockRejected', ['payload', 'lines', 0, 'available'], -1],
      ['StockReleaseRequested', ['payload', 'lines', 0, 'quantity'], 0],
      ['StockReleased', ['payload', 'reservationId'], ''],
      ['PaymentFailed', ['payload', 'reason'], 'FRAUD'],
      ['PaymentFailed', ['payload', 'attempts'], 0],
      ['PaymentSucceeded', ['payload', 'pspReference'], undefined],
      ['OrderConfirmed', ['payload', 'confirmedAt'], '2025-03-01 12:00:01'],
      ['NotificationSent', ['payload', 'channel'], 'pigeon'],
      ['NotificationSent', ['payload', 'reason'], 'not a field of NotificationSent'],
      ['NotificationFailed', ['payload', 'provider'], 'not a field of NotificationFailed'],
      ['NotificationFailed', ['payload', 'template'], 'ORDER_SHIPPED'],
    ] as const)('returns INVALID_PAYLOAD for %s with %j = %j', (type, path, value) => {
      // Prepare
      const input = withValue(sample(type), path, value);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(error.eventType).toBe(type);
      expect(error.issues.every((issue) => issue.path.startsWith('payload'))).toBe(true);
    });

    it('returns INVALID_PAYLOAD when the payload is not an object', () => {
      // Prepare
      const input = withValue(sample('StockReleased'), ['payload'], null);

      // Act
      const error = expectFailure(parseEvent(input), 'INVALID_PAYLOAD');

      // Assess
      expect(paths(error)).toEqual(['payload']);
    });
  });
});
