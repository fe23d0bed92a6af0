import type { Money } from '#platform/money';

/** Source of every event the inventory service emits. */
export const INVENTORY_SOURCE = 'inventory-service';

export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED';

/** One reserved line, as carried by StockReserved and kept on the reservation. */
export interface ReservationLine {
  productId: string;
  sellerId: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

/** A line that could not be served, as listed by StockRejected. */
export interface ShortLine {
  productId: string;
  requested: number;
  available: number;
}

/**
 * The reservation item of one order in the `inventory` table. Its existence is what makes reserving
 * exactly-once: every outcome (RESERVED, REJECTED) is written with `attribute_not_exists(pk)`, and
 * releasing is a transition conditioned on `status = RESERVED`.
 */
export interface ReservationItem {
  pk: string;
  sk: string;
  entity: 'RESERVATION';
  orderId: string;
  reservationId: string;
  status: ReservationStatus;
  /** Reserved lines (RESERVED, RELEASED); empty for REJECTED. */
  lines: ReservationLine[];
  /** Lines that were short (REJECTED only). */
  shortLines?: ShortLine[];
  correlationId: string;
  /** eventId of the OrderCreated that caused the reservation. */
  causationId: string;
  createdAt: string;
  updatedAt: string;
  releasedAt?: string;
  releaseReason?: string;
}

export const reservationKey = (orderId: string) => ({ pk: `RESERVATION#${orderId}`, sk: 'RESERVATION' });

/** The reservation id of an order: derived from the orderId, so every retry names the same reservation. */
export const reservationIdFor = (orderId: string): string => `res-${orderId}`;
