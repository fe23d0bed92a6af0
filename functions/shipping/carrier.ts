import { createHash } from 'node:crypto';
import type { Recipient } from '#events';
import { PermanentError, RetryableError } from '#platform/errors';

/** A booking request: one parcel for one order, idempotent on the shipmentId. */
export interface BookingRequest {
  readonly shipmentId: string;
  readonly orderId: string;
  readonly recipient: Recipient;
}

export interface Booking {
  readonly carrier: string;
  readonly trackingNumber: string;
}

/** The carrier could not be reached or answered with a temporary failure; the same call may succeed later. */
export class CarrierUnavailableError extends RetryableError {
  readonly code = 'CARRIER_UNAVAILABLE';
}

/** The carrier refused the booking for good (e.g. an undeliverable address). */
export class CarrierRejectedError extends PermanentError {
  readonly code = 'CARRIER_REJECTED';
}

/** The carrier, behind a port: a live carrier's API client or the mock below. */
export interface CarrierPort {
  readonly name: string;
  /**
   * Books a parcel; the same shipmentId always yields the same booking (the carrier's idempotency
   * key), so a booking repeated after a crash is the same parcel, not a second one.
   */
  book(request: BookingRequest): Promise<Booking>;
  /** Cancels a parcel that was not picked up; cancelling it again changes nothing. */
  cancel(trackingNumber: string): Promise<void>;
}

/**
 * Test behaviours of the mock carrier, chosen like the mock PSP's tokens by a marker the customer
 * controls: the `+tag` of the recipient's email address (`alice+ship-flaky@example.com`).
 * - no marker: books at once;
 * - `ship-flaky`: the first `FLAKY_FAILURES` calls for a shipment fail with a 503, then it books;
 * - `ship-fail`: refuses the booking (undeliverable address), a permanent failure.
 */
export const CARRIER_MARKERS = { flaky: 'ship-flaky', fail: 'ship-fail' } as const;
export const FLAKY_FAILURES = 2;

export type CarrierBehaviour = 'OK' | 'FLAKY' | 'FAIL';

/** The test behaviour a recipient asks for (its email's `+tag`). */
export function behaviourOf(recipient: Recipient): CarrierBehaviour {
  const tag = /^[^@+]*\+([^@]+)@/.exec(recipient.email ?? '')?.[1]?.toLowerCase();
  if (tag === CARRIER_MARKERS.flaky) return 'FLAKY';
  if (tag === CARRIER_MARKERS.fail) return 'FAIL';
  return 'OK';
}

/** The mock carrier's tracking number of a shipment: `MC` and 12 characters derived from its id. */
export function mockTrackingNumber(shipmentId: string): string {
  const digest = createHash('sha256').update(shipmentId).digest('hex').toUpperCase();
  return `MC${digest.slice(0, 12)}`;
}

/**
 * The mock carrier: deterministic bookings (the tracking number derives from the shipmentId, so a
 * repeated booking is the same booking), test behaviours by marker (`behaviourOf`). It keeps the
 * failures it owes a flaky shipment in memory, as a real carrier's transient fault would pass.
 * Pickups and deliveries are reported through the signed webhook (`scripts/carrier-webhook.ts`).
 */
export class MockCarrier implements CarrierPort {
  readonly name = 'mock-carrier';
  private readonly failuresLeft = new Map<string, number>();

  async book(request: BookingRequest): Promise<Booking> {
    const behaviour = behaviourOf(request.recipient);
    switch (behaviour) {
      case 'FAIL':
        throw new CarrierRejectedError(
          `The carrier refused shipment ${request.shipmentId}: undeliverable address`,
        );
      case 'FLAKY': {
        const left = this.failuresLeft.get(request.shipmentId) ?? FLAKY_FAILURES;
        if (left > 0) {
          this.failuresLeft.set(request.shipmentId, left - 1);
          throw new CarrierUnavailableError(`The carrier answered 503 for shipment ${request.shipmentId}`);
        }
        break;
      }
      case 'OK':
        break;
      default: {
        const unhandled: never = behaviour;
        throw new CarrierRejectedError(`Unknown behaviour ${String(unhandled)}`);
      }
    }
    return { carrier: this.name, trackingNumber: mockTrackingNumber(request.shipmentId) };
  }

  async cancel(_trackingNumber: string): Promise<void> {}
}
