import { decodeTime } from 'ulid';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from 'zod';
import {
  type CreateEventMeta,
  causedBy,
  createEvent,
  type EventPayload,
  EventValidationError,
  parseEvent,
  parseTraceparent,
  TRACEPARENT_PATTERN,
  ULID_PATTERN,
} from '#events';
import { latestSample, sample } from './helpers';

const NOW = new Date('2025-03-01T12:00:00.000Z');

function meta(overrides: Partial<CreateEventMeta> = {}): CreateEventMeta {
  return { source: 'order-service', aggregateId: 'order-1', now: NOW, ...overrides };
}

function confirmedPayload(): EventPayload<'OrderConfirmed'> {
  return {
    orderId: 'order-1',
    paymentId: 'pay-order-1',
    total: { amountMinor: 9997, currency: 'EUR' },
    confirmedAt: '2025-03-01T12:00:00.000Z',
    recipient: { customerId: 'customer-1', notifications: { email: true, sms: false } },
  };
}

describe('Function: createEvent', () => {
  it('fills eventId, version, occurredAt, correlationId and causationId when not given', () => {
    // Prepare
    const payload = sample('OrderCreated').payload;

    // Act
    const event = createEvent('OrderCreated', payload, meta());

    // Assess
    expect(event.eventId).toMatch(ULID_PATTERN);
    expect(event.eventType).toBe('OrderCreated');
    expect(event.eventVersion).toBe(1);
    expect(event.occurredAt).toBe('2025-03-01T12:00:00.000Z');
    expect(event.correlationId).toBe(event.eventId);
    expect(event.causationId).toBeNull();
    expect(event.trace?.traceparent).toMatch(TRACEPARENT_PATTERN);
    expect(event.payload).toEqual(payload);
    expectTypeOf(event.payload).toEqualTypeOf<EventPayload<'OrderCreated'>>();
  });

  it('keeps the eventId, correlationId, causationId and trace it is given', () => {
    // Prepare
    const given = meta({
      eventId: '01JN8S7QG07VXVQKXB80JART8R',
      correlationId: 'saga-1',
      causationId: '01JN8S7QG07VXVQKXB80JART8Q',
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });

    // Act
    const event = createEvent('OrderConfirmed', confirmedPayload(), given);

    // Assess
    expect(event).toMatchObject({
      eventId: '01JN8S7QG07VXVQKXB80JART8R',
      correlationId: 'saga-1',
      causationId: '01JN8S7QG07VXVQKXB80JART8Q',
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      source: 'order-service',
      aggregateId: 'order-1',
    });
  });

  it('creates strictly increasing eventIds within the same millisecond', () => {
    // Prepare
    const now = new Date('2025-03-01T12:00:00.500Z');

    // Act
    const ids = Array.from(
      { length: 200 },
      () => createEvent('OrderConfirmed', confirmedPayload(), meta({ now })).eventId,
    );

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    for (let index = 1; index < ids.length; index++) {
      expect((ids[index] ?? '') > (ids[index - 1] ?? '')).toBe(true);
    }
  });

  it('encodes now as the time part of the eventId', () => {
    // Prepare
    const now = new Date('2099-01-01T00:00:00.000Z');

    // Act
    const event = createEvent('OrderConfirmed', confirmedPayload(), meta({ now }));

    // Assess
    expect(decodeTime(event.eventId)).toBe(now.getTime());
  });

  it('creates events that parseEvent accepts after a JSON round trip', () => {
    // Prepare
    const event = createEvent('PaymentSucceeded', latestSample('PaymentSucceeded').payload, meta());

    // Act
    const result = parseEvent(JSON.stringify(event));

    // Assess
    expect(result).toEqual({ ok: true, event });
  });

  it('throws EventValidationError with the zod error as cause when quantity is zero', () => {
    // Prepare
    const payload = sample('OrderCreated').payload;
    const lines = payload.lines.map((line, index) => (index === 0 ? { ...line, quantity: 0 } : line));

    // Act
    const act = () => createEvent('OrderCreated', { ...payload, lines }, meta());

    // Assess
    expect(act).toThrow(EventValidationError);
    try {
      act();
    } catch (error) {
      expect(error).toBeInstanceOf(EventValidationError);
      const validation = error as EventValidationError;
      expect(validation.cause).toBeInstanceOf(z.ZodError);
      expect(validation.eventType).toBe('OrderCreated');
      expect(validation.issues.map((issue) => issue.path)).toEqual(['payload.lines.0.quantity']);
    }
  });

  it('throws EventValidationError when the payload does not match its type', () => {
    // Prepare
    const payload = { orderId: 'order-1' };

    // Act
    // @ts-expect-error the payload of OrderConfirmed needs paymentId, total and confirmedAt
    const act = () => createEvent('OrderConfirmed', payload, meta());

    // Assess
    expect(act).toThrow(EventValidationError);
  });

  it.each([
    ['an empty source', { source: '' }],
    ['an eventId that is not a ULID', { eventId: 'evt-1' }],
    ['an empty correlationId', { correlationId: '' }],
    ['an invalid date', { now: new Date(Number.NaN) }],
  ])('throws EventValidationError for %s', (_case, overrides) => {
    // Act
    const act = () => createEvent('OrderConfirmed', confirmedPayload(), meta(overrides));

    // Assess
    expect(act).toThrow(EventValidationError);
  });

  it('throws EventValidationError for an event type that is not registered', () => {
    // Prepare
    const type = 'OrderReturned' as 'OrderConfirmed';

    // Act
    const act = () => createEvent(type, confirmedPayload(), meta());

    // Assess
    expect(act).toThrow(/OrderReturned: unknown event type/);
  });
});

describe('Function: causedBy', () => {
  it('links a follow-up event to its parent and keeps the saga correlation', () => {
    // Prepare
    const parent = createEvent(
      'OrderCreated',
      sample('OrderCreated').payload,
      meta({ aggregateId: 'order-9' }),
    );
    const now = new Date('2025-03-01T12:00:01.000Z');

    // Act
    const links = causedBy(parent, now);
    const child = createEvent('StockReserved', sample('StockReserved').payload, {
      ...links,
      source: 'inventory-service',
    });

    // Assess
    expect(links).toEqual({
      correlationId: parent.eventId,
      causationId: parent.eventId,
      aggregateId: 'order-9',
      now,
      trace: { traceparent: expect.stringMatching(TRACEPARENT_PATTERN) },
    });
    expect(child.correlationId).toBe(parent.correlationId);
    expect(child.causationId).toBe(parent.eventId);
    expect(child.occurredAt).toBe('2025-03-01T12:00:01.000Z');
  });

  it('carries the correlationId of the saga, not of the parent event, down the chain', () => {
    // Prepare
    const first = createEvent('OrderCreated', sample('OrderCreated').payload, meta());
    const second = createEvent('StockReserved', sample('StockReserved').payload, {
      ...causedBy(first, NOW),
      source: 'inventory-service',
    });

    // Act
    const links = causedBy(second, NOW);

    // Assess
    expect(links.correlationId).toBe(first.eventId);
    expect(links.causationId).toBe(second.eventId);
  });

  it('continues the trace of the parent with a new span id when the parent carries one', () => {
    // Prepare
    const parent = createEvent('OrderCreated', sample('OrderCreated').payload, meta());
    const parentContext = parseTraceparent(parent.trace?.traceparent);

    // Act
    const child = createEvent('StockReserved', sample('StockReserved').payload, {
      ...causedBy(parent, NOW),
      source: 'inventory-service',
    });
    const grandchild = createEvent('PaymentSucceeded', latestSample('PaymentSucceeded').payload, {
      ...causedBy(child, NOW),
      source: 'payment-service',
    });

    // Assess
    const childContext = parseTraceparent(child.trace?.traceparent);
    const grandchildContext = parseTraceparent(grandchild.trace?.traceparent);
    expect(childContext?.traceId).toBe(parentContext?.traceId);
    expect(grandchildContext?.traceId).toBe(parentContext?.traceId);
    expect(new Set([parentContext?.spanId, childContext?.spanId, grandchildContext?.spanId]).size).toBe(3);
  });
});
