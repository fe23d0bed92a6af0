import * as z from 'zod';
import { type EnvelopeHeader, EnvelopeSchema } from './envelope';
import { StockAdjustedV1, StockRejectedV1, StockReleasedV1, StockReservedV1 } from './inventory';
import {
  NotificationFailedV1,
  NotificationFailedV2,
  NotificationSentV1,
  NotificationSentV2,
} from './notifications';
import {
  OrderCancelledV1,
  OrderCancelledV2,
  OrderCancelledV3,
  OrderCancelledV4,
  OrderConfirmedV1,
  OrderConfirmedV2,
  OrderCreatedV1,
  PaymentReversalRequestedV1,
  StockReleaseRequestedV1,
} from './orders';
import {
  PaymentFailedV1,
  PaymentFailedV2,
  PaymentPendingV1,
  PaymentPendingV2,
  PaymentRefundedV1,
  PaymentSucceededV1,
  PaymentSucceededV2,
  PaymentVoidedV1,
} from './payments';
import { OrderDeliveredV1, OrderShippedV1, ShipmentCreatedV1 } from './shipping';

/**
 * Payload schema of every event type, keyed by `eventType` then `eventVersion`.
 * A breaking change to a payload adds a new version here; existing versions never change.
 */
export const EVENT_SCHEMAS = {
  OrderCreated: { 1: OrderCreatedV1 },
  OrderConfirmed: { 1: OrderConfirmedV1, 2: OrderConfirmedV2 },
  OrderCancelled: { 1: OrderCancelledV1, 2: OrderCancelledV2, 3: OrderCancelledV3, 4: OrderCancelledV4 },
  StockReleaseRequested: { 1: StockReleaseRequestedV1 },
  PaymentReversalRequested: { 1: PaymentReversalRequestedV1 },
  StockReserved: { 1: StockReservedV1 },
  StockRejected: { 1: StockRejectedV1 },
  StockReleased: { 1: StockReleasedV1 },
  StockAdjusted: { 1: StockAdjustedV1 },
  PaymentPending: { 1: PaymentPendingV1, 2: PaymentPendingV2 },
  PaymentSucceeded: { 1: PaymentSucceededV1, 2: PaymentSucceededV2 },
  PaymentFailed: { 1: PaymentFailedV1, 2: PaymentFailedV2 },
  PaymentVoided: { 1: PaymentVoidedV1 },
  PaymentRefunded: { 1: PaymentRefundedV1 },
  NotificationSent: { 1: NotificationSentV1, 2: NotificationSentV2 },
  NotificationFailed: { 1: NotificationFailedV1, 2: NotificationFailedV2 },
  ShipmentCreated: { 1: ShipmentCreatedV1 },
  OrderShipped: { 1: OrderShippedV1 },
  OrderDelivered: { 1: OrderDeliveredV1 },
} as const satisfies Record<string, Record<number, z.ZodType>>;

type Registry = typeof EVENT_SCHEMAS;

/** Names of all event types. */
export type EventType = keyof Registry;

/** Versions registered for an event type. */
export type EventVersion<T extends EventType> = keyof Registry[T] & number;

/** The version producers emit today, per event type. */
export const LATEST_VERSIONS = {
  OrderCreated: 1,
  OrderConfirmed: 2,
  OrderCancelled: 4,
  StockReleaseRequested: 1,
  PaymentReversalRequested: 1,
  StockReserved: 1,
  StockRejected: 1,
  StockReleased: 1,
  StockAdjusted: 1,
  PaymentPending: 2,
  PaymentSucceeded: 2,
  PaymentFailed: 2,
  PaymentVoided: 1,
  PaymentRefunded: 1,
  NotificationSent: 2,
  NotificationFailed: 2,
  ShipmentCreated: 1,
  OrderShipped: 1,
  OrderDelivered: 1,
} as const satisfies { [T in EventType]: EventVersion<T> };

export type LatestVersion<T extends EventType> = (typeof LATEST_VERSIONS)[T];

/** All event type names, in registry order. */
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type PayloadSchema<T extends EventType, V extends EventVersion<T>> = Registry[T][V] extends z.ZodType
  ? Registry[T][V]
  : never;

/** Payload of an event type; the latest version unless `V` is given. */
export type EventPayload<
  T extends EventType,
  V extends EventVersion<T> = LatestVersion<T> & EventVersion<T>,
> = z.output<PayloadSchema<T, V>>;

/** A complete, validated event of one type (all its versions unless `V` is given). */
export type DomainEventOf<
  T extends EventType,
  V extends EventVersion<T> = EventVersion<T>,
> = V extends unknown
  ? Simplify<EnvelopeHeader & { eventType: T; eventVersion: V; payload: EventPayload<T, V> }>
  : never;

/** Any validated event, discriminated on `eventType` (then `eventVersion`). */
export type DomainEvent = { [T in EventType]: DomainEventOf<T> }[EventType];

/** True when `value` names a registered event type. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_SCHEMAS, value);
}

/** Versions registered for an event type, ascending. */
export function versionsOf(type: EventType): number[] {
  return Object.keys(EVENT_SCHEMAS[type])
    .map(Number)
    .sort((a, b) => a - b);
}

/** Payload schema of one type and version, or undefined when that version is not registered. */
export function payloadSchemaFor(type: EventType, version: number): z.ZodType | undefined {
  const versions: Record<number, z.ZodType> = EVENT_SCHEMAS[type];
  return Object.hasOwn(versions, version) ? versions[version] : undefined;
}

const envelopeSchemas = new Map<string, z.ZodType>();

/**
 * Full schema (envelope and typed payload) of one type and version, or undefined when that version is
 * not registered.
 */
export function envelopeSchemaFor(type: EventType, version: number): z.ZodType | undefined {
  const key = `${type}@${version}`;
  const cached = envelopeSchemas.get(key);
  if (cached) return cached;
  const payload = payloadSchemaFor(type, version);
  if (!payload) return undefined;
  const schema = EnvelopeSchema.extend({
    eventType: z.literal(type),
    eventVersion: z.literal(version),
    payload,
  });
  envelopeSchemas.set(key, schema);
  return schema;
}
