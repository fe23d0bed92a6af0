import type { StockRejectionReason } from '#events';
import type { ReservationLine, ShortLine } from '../model';

/** What a reservation needs of an order line. */
export interface RequestedLine extends ReservationLine {
  name?: string;
}

/**
 * The lines of an order in the order every transaction touches them (by productId), so concurrent
 * transactions over overlapping products contend in one order. Keeps only the reservation fields.
 */
export function sortLines(lines: readonly RequestedLine[]): ReservationLine[] {
  return [...lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((line) => ({
      productId: line.productId,
      sellerId: line.sellerId,
      quantity: line.quantity,
      unitPrice: { amountMinor: line.unitPrice.amountMinor, currency: line.unitPrice.currency },
      lineTotal: { amountMinor: line.lineTotal.amountMinor, currency: line.lineTotal.currency },
    }));
}

export interface Shortage {
  reason: StockRejectionReason;
  lines: ShortLine[];
}

/**
 * Compares requested quantities with the stock read after a reservation failed. `stock` maps a
 * productId to its current stock; a product missing from the map is not in the catalog. Returns the
 * short lines (requested vs available, never negative), or `undefined` when every line can be served
 * now (stock came back in the meantime, so the reservation should be tried again).
 */
export function findShortage(
  lines: readonly Pick<ReservationLine, 'productId' | 'quantity'>[],
  stock: ReadonlyMap<string, number>,
): Shortage | undefined {
  const short: ShortLine[] = [];
  let unknown = false;
  for (const line of lines) {
    const available = stock.get(line.productId);
    if (available === undefined) unknown = true;
    const usable = Math.max(0, available ?? 0);
    if (usable < line.quantity) {
      short.push({ productId: line.productId, requested: line.quantity, available: usable });
    }
  }
  if (short.length === 0) return undefined;
  return { reason: unknown ? 'UNKNOWN_PRODUCT' : 'INSUFFICIENT_STOCK', lines: short };
}
