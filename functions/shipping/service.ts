import { causedBy, createEvent, type DomainEvent, type DomainEventOf, type Recipient } from '#events';
import { backoff } from '#platform/backoff';
import { isRetryable, PermanentError, RetryableError } from '#platform/errors';
import type { CarrierPort } from './carrier';
import {
  type CarrierReport,
  decideCancel,
  decideReport,
  type ShipmentState,
  type ShippingEmitted,
  shipmentIdFor,
} from './domain/shipment';
import { SHIPPING_SOURCE, type ShipmentItem, shipmentKey } from './model';
import type { ShipmentStore } from './store';

export interface ShippingDeps {
  store: ShipmentStore;
  carrier: CarrierPort;
  /** Carrier calls per booking before the record is left to the consumer's retries. @default 3 */
  maxAttempts?: number;
  /** Pause before the next carrier call; injectable for tests. */
  backoff?: (retry: number) => Promise<void>;
}

/** The carrier stayed unavailable through every in-call retry: the consumer retries the record later. */
export class CarrierStillUnavailableError extends RetryableError {
  readonly code = 'CARRIER_STILL_UNAVAILABLE';
}

/** Writers kept changing the shipment; the caller retries. */
export class ShipmentBusyError extends RetryableError {
  readonly code = 'SHIPMENT_BUSY';
}

/** A webhook names a shipment (or a tracking number) the service does not have. */
export class UnknownShipmentError extends PermanentError {
  readonly code = 'UNKNOWN_SHIPMENT';
}

export type BookOutcome = 'CREATED' | 'FAILED' | 'ALREADY_DONE';
/** `TOO_LATE`: the late cancellation recorded now; `TOO_LATE_NOTED`: recorded by an earlier delivery. */
export type CancelOutcome = 'CANCELLED' | 'TOMBSTONE' | 'NOTHING_TO_CANCEL' | 'TOO_LATE' | 'TOO_LATE_NOTED';
export type ReportOutcome =
  | { kind: 'APPLIED'; shipment: ShipmentItem; emitted: DomainEvent[] }
  | { kind: 'UNCHANGED'; shipment: ShipmentItem; reason: string };

const MAX_CONFLICTS = 5;

/** Orders confirmed before OrderConfirmed carried a recipient (version 1): nobody to address. */
const NO_RECIPIENT = (orderId: string): Recipient => ({
  customerId: `order-${orderId}`.slice(0, 128),
  notifications: { email: false, sms: false },
});

export function stateOf(item: ShipmentItem): ShipmentState {
  return {
    shipmentId: item.shipmentId,
    orderId: item.orderId,
    status: item.status,
    version: item.version,
    carrier: item.carrier,
    trackingNumber: item.trackingNumber,
    recipient: item.recipient,
  };
}

function envelopes(
  emitted: readonly ShippingEmitted[],
  meta: Parameters<typeof createEvent>[2],
): DomainEvent[] {
  return emitted.map((item): DomainEvent => {
    switch (item.type) {
      case 'OrderShipped':
        return createEvent('OrderShipped', item.payload, meta);
      case 'OrderDelivered':
        return createEvent('OrderDelivered', item.payload, meta);
      default: {
        const unhandled: never = item;
        throw new UnknownShipmentError(`Unknown emitted event ${JSON.stringify(unhandled)}`);
      }
    }
  });
}

/**
 * The shipping service: books a parcel with the carrier for every confirmed order (ShipmentCreated),
 * applies the carrier's signed status reports (OrderShipped, OrderDelivered) and cancels the parcel
 * of a cancelled order that was not picked up. Every write is one conditional write of the shipment
 * item carrying its events, so redeliveries and replays change nothing.
 */
export class ShippingService {
  private readonly maxAttempts: number;
  private readonly backoff: (retry: number) => Promise<void>;

  constructor(private readonly deps: ShippingDeps) {
    this.maxAttempts = deps.maxAttempts ?? 3;
    this.backoff = deps.backoff ?? ((retry) => backoff(retry, { baseDelayMs: 100, maxDelayMs: 1_000 }));
  }

  /**
   * OrderConfirmed: books the parcel (in-call retries with backoff for transient carrier failures)
   * and puts the CREATED shipment carrying ShipmentCreated, once. A refused booking is recorded as
   * FAILED (an operator's case, see docs/runbook.md). A shipment or a cancellation tombstone already
   * there means the event was handled (or overtaken): nothing is booked again.
   */
  async book(event: DomainEventOf<'OrderConfirmed'>, now: Date): Promise<BookOutcome> {
    const { orderId } = event.payload;
    const shipmentId = shipmentIdFor(orderId);
    const existing = await this.deps.store.get(shipmentId);
    if (existing) return 'ALREADY_DONE';
    const recipient = 'recipient' in event.payload ? event.payload.recipient : NO_RECIPIENT(orderId);
    const base: ShipmentItem = {
      ...shipmentKey(shipmentId),
      entity: 'SHIPMENT',
      shipmentId,
      orderId,
      status: 'CREATED',
      version: 1,
      recipient,
      correlationId: event.correlationId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    let booking: Awaited<ReturnType<CarrierPort['book']>>;
    try {
      booking = await this.bookWithRetries({ shipmentId, orderId, recipient });
    } catch (error) {
      if (isRetryable(error)) throw error;
      const failed: ShipmentItem = {
        ...base,
        status: 'FAILED',
        failureReason: error instanceof Error ? error.message.slice(0, 512) : 'refused',
      };
      return (await this.deps.store.create(failed, [])) === 'CREATED' ? 'FAILED' : 'ALREADY_DONE';
    }
    const created = createEvent(
      'ShipmentCreated',
      { orderId, shipmentId, ...booking, recipient, createdAt: now.toISOString() },
      { ...causedBy(event, now), source: SHIPPING_SOURCE },
    );
    const item: ShipmentItem = { ...base, ...booking, createdEventId: created.eventId };
    if ((await this.deps.store.create(item, [created])) === 'CREATED') return 'CREATED';
    // A cancellation overtook the booking and left its tombstone: give the parcel back.
    const now2 = await this.deps.store.get(shipmentId);
    if (now2?.status === 'CANCELLED' && now2.trackingNumber === undefined) {
      await this.deps.carrier.cancel(booking.trackingNumber);
    }
    return 'ALREADY_DONE';
  }

  /**
   * OrderCancelled: cancels a parcel that was not picked up (at the carrier, then recorded), leaves a
   * tombstone when nothing was booked yet, and records a cancellation that came too late (the parcel
   * is with the carrier: the race rule in docs/architecture.md).
   */
  async cancel(event: DomainEventOf<'OrderCancelled'>, now: Date): Promise<CancelOutcome> {
    const { orderId } = event.payload;
    const shipmentId = shipmentIdFor(orderId);
    for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
      const item = await this.deps.store.get(shipmentId);
      const decision = decideCancel(item ? stateOf(item) : undefined);
      switch (decision.kind) {
        case 'TOMBSTONE': {
          const tombstone: ShipmentItem = {
            ...shipmentKey(shipmentId),
            entity: 'SHIPMENT',
            shipmentId,
            orderId,
            status: 'CANCELLED',
            version: 1,
            correlationId: event.correlationId,
            cancelledAt: now.toISOString(),
            createdAt: now.toISOString(),
            updatedAt: now.toISOString(),
          };
          if ((await this.deps.store.create(tombstone, [])) === 'CREATED') return 'TOMBSTONE';
          continue;
        }
        case 'CANCEL_AT_CARRIER': {
          if (!item) continue;
          await this.deps.carrier.cancel(decision.trackingNumber);
          const saved = await this.deps.store.save(
            item,
            { status: 'CANCELLED', cancelledAt: now.toISOString(), updatedAt: now.toISOString() },
            [],
          );
          if (saved === 'SAVED') return 'CANCELLED';
          continue;
        }
        case 'NOTHING_TO_CANCEL':
          return 'NOTHING_TO_CANCEL';
        case 'TOO_LATE': {
          if (!item) continue;
          if (item.cancelTooLateAt) return 'TOO_LATE_NOTED';
          const saved = await this.deps.store.save(
            item,
            { cancelTooLateAt: now.toISOString(), updatedAt: now.toISOString() },
            [],
          );
          if (saved === 'SAVED') return 'TOO_LATE';
          continue;
        }
        default: {
          const unhandled: never = decision;
          throw new UnknownShipmentError(`Unhandled cancellation ${JSON.stringify(unhandled)}`);
        }
      }
    }
    throw new ShipmentBusyError(`Shipment ${shipmentId} kept changing while its order was cancelled`);
  }

  /**
   * A verified carrier report: looks the shipment up (its tracking number must match), decides and
   * saves the new status with its events in one write conditioned on the version read. A report the
   * shipment is past (a replay, a late IN_TRANSIT) changes nothing.
   */
  async report(
    input: { shipmentId: string; trackingNumber: string } & CarrierReport,
    now: Date,
  ): Promise<ReportOutcome> {
    for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
      const item = await this.deps.store.get(input.shipmentId);
      if (!item || item.trackingNumber !== input.trackingNumber) {
        throw new UnknownShipmentError(`No shipment ${input.shipmentId} with that tracking number`);
      }
      const decision = decideReport(stateOf(item), input);
      if (decision.kind === 'IGNORE') return { kind: 'UNCHANGED', shipment: item, reason: decision.reason };
      const emitted = envelopes(decision.emit, {
        source: SHIPPING_SOURCE,
        aggregateId: item.orderId,
        correlationId: item.correlationId,
        causationId: item.createdEventId ?? null,
        now,
      });
      const fields = {
        status: decision.to,
        lastCarrierEventId: input.eventId,
        updatedAt: now.toISOString(),
        ...(item.shippedAt === undefined ? { shippedAt: input.occurredAt } : {}),
        ...(decision.to === 'DELIVERED' ? { deliveredAt: input.occurredAt } : {}),
      };
      if ((await this.deps.store.save(item, fields, emitted)) === 'SAVED') {
        return { kind: 'APPLIED', shipment: { ...item, ...fields, version: item.version + 1 }, emitted };
      }
    }
    throw new ShipmentBusyError(
      `Shipment ${input.shipmentId} kept changing while a carrier report was applied`,
    );
  }

  private async bookWithRetries(request: Parameters<CarrierPort['book']>[0]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.carrier.book(request);
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt >= this.maxAttempts) {
          throw new CarrierStillUnavailableError(
            `The carrier stayed unavailable for shipment ${request.shipmentId} (${attempt} attempts)`,
            { cause: error },
          );
        }
        await this.backoff(attempt);
      }
    }
  }
}
