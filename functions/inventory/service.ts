import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { causedBy, createEvent, type DomainEventOf, type StockRejectionReason } from '#events';
import { backoff } from '#platform/backoff';
import { cancellationCodes } from '#platform/dynamo';
import { outboxUpdate, withOutbox } from '#platform/outbox/row';
import { findShortage, sortLines } from './domain/reservation';
import { InventoryBusyError, InventoryWriteError, ReservationNotFoundError } from './errors';
import {
  INVENTORY_SOURCE,
  type ReservationItem,
  type ReservationLine,
  reservationIdFor,
  reservationKey,
  type ShortLine,
} from './model';
import { StockLevels, stockKey } from './stock';

export interface InventoryDeps {
  client: DynamoDBDocumentClient;
  /** The service's own table: reservations, stock items (`STOCK#<productId>`) and the outbox. */
  inventoryTable: string;
  /** Transactions tried per event before giving up with a retryable error. @default 8 */
  maxAttempts?: number;
  /** Pause before the next attempt after a conflict; injectable for tests. */
  backoff?: (attempt: number) => Promise<void>;
}

export type ReserveOutcome = 'RESERVED' | 'REJECTED' | 'ALREADY_DONE';
export type ReleaseOutcome = 'RELEASED' | 'ALREADY_RELEASED' | 'NOTHING_RESERVED';

const DEFAULT_MAX_ATTEMPTS = 8;

/** Full jitter below 20 ms · 2^attempt, at most 1 s. */
const defaultBackoff = (attempt: number) => backoff(attempt + 1, { baseDelayMs: 20, maxDelayMs: 1_000 });

/**
 * Stock reservations in the service's own `inventory` table: stock items, reservation items and
 * outbox rows. Each outcome is one DynamoDB transaction; redelivered events find the reservation
 * item and change nothing.
 */
export class InventoryService {
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly stock: StockLevels;

  constructor(private readonly deps: InventoryDeps) {
    this.maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = deps.backoff ?? defaultBackoff;
    this.stock = new StockLevels(deps.client, deps.inventoryTable, this.backoff);
  }

  /**
   * Reserves every line of an order, all or nothing: one transaction decrements each product's stock
   * item under `stock >= :q` (a product without a stock item fails the condition) and puts the
   * reservation item (`attribute_not_exists(pk)`) carrying the StockReserved event. When a stock
   * condition fails, a second transaction records the REJECTED reservation carrying a StockRejected
   * event that lists the short lines. When the reservation already exists, the event
   * was handled before: nothing is written.
   */
  async reserve(event: DomainEventOf<'OrderCreated'>, now: Date): Promise<ReserveOutcome> {
    const { orderId } = event.payload;
    const lines = sortLines(event.payload.lines);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (attempt > 0) await this.backoff(attempt - 1);
      let codes: string[];
      try {
        await this.deps.client.send(
          new TransactWriteCommand({ TransactItems: this.reserveItems(event, lines, now) }),
        );
        return 'RESERVED';
      } catch (error) {
        codes = cancellationCodes(error);
        if (codes.length === 0) throw error;
        if (codes[0] === 'ConditionalCheckFailed') return 'ALREADY_DONE';
        if (codes.includes('TransactionConflict')) continue;
        const stockFailed = codes.slice(1, 1 + lines.length).includes('ConditionalCheckFailed');
        if (!stockFailed) {
          throw new InventoryWriteError(`Reservation of order ${orderId} failed: ${codes.join(', ')}`, {
            cause: error,
          });
        }
      }

      const shortage = findShortage(lines, await this.readStock(lines.map((line) => line.productId)));
      // Stock came back between the transaction and the read: try to reserve again.
      if (!shortage) continue;
      try {
        await this.deps.client.send(
          new TransactWriteCommand({
            TransactItems: this.rejectItems(event, shortage.reason, shortage.lines, now),
          }),
        );
        return 'REJECTED';
      } catch (error) {
        const rejectCodes = cancellationCodes(error);
        if (rejectCodes.length === 0) throw error;
        if (rejectCodes[0] === 'ConditionalCheckFailed') return 'ALREADY_DONE';
        if (!rejectCodes.includes('TransactionConflict')) {
          throw new InventoryWriteError(
            `Rejection of order ${orderId} could not be recorded: ${rejectCodes.join(', ')}`,
            { cause: error },
          );
        }
      }
    }
    throw new InventoryBusyError(
      `Reservation of order ${orderId} kept conflicting with other transactions (${this.maxAttempts} attempts)`,
    );
  }

  /**
   * Gives a reservation back exactly once: one transaction moves the reservation from RESERVED to
   * RELEASED (`#status = :reserved`), adds each reserved quantity back to its product's stock; the
   * reservation carries the StockReleased event. A reservation already RELEASED, or REJECTED (nothing was
   * taken), changes nothing.
   */
  async release(event: DomainEventOf<'StockReleaseRequested'>, now: Date): Promise<ReleaseOutcome> {
    const { orderId } = event.payload;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (attempt > 0) await this.backoff(attempt - 1);
      const reservation = await this.readReservation(orderId);
      if (!reservation) {
        throw new ReservationNotFoundError(`Order ${orderId} has no reservation to release`);
      }
      if (reservation.status === 'RELEASED') return 'ALREADY_RELEASED';
      if (reservation.status === 'REJECTED') return 'NOTHING_RESERVED';
      try {
        await this.deps.client.send(
          new TransactWriteCommand({ TransactItems: this.releaseItems(event, reservation, now) }),
        );
        return 'RELEASED';
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes.length === 0) throw error;
        // Released by a concurrent delivery: the next read sees RELEASED.
        if (codes[0] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) continue;
        throw new InventoryWriteError(`Release of order ${orderId} failed: ${codes.join(', ')}`, {
          cause: error,
        });
      }
    }
    throw new InventoryBusyError(
      `Release of order ${orderId} kept conflicting with other transactions (${this.maxAttempts} attempts)`,
    );
  }

  private reserveItems(event: DomainEventOf<'OrderCreated'>, lines: ReservationLine[], now: Date) {
    const { orderId } = event.payload;
    const reservationId = reservationIdFor(orderId);
    const reserved = createEvent(
      'StockReserved',
      {
        orderId,
        reservationId,
        lines,
        total: { amountMinor: event.payload.total.amountMinor, currency: event.payload.total.currency },
        payment: { method: event.payload.payment.method, token: event.payload.payment.token },
      },
      { ...causedBy(event, now), source: INVENTORY_SOURCE },
    );
    const item: ReservationItem = {
      ...reservationKey(orderId),
      entity: 'RESERVATION',
      orderId,
      reservationId,
      status: 'RESERVED',
      lines,
      correlationId: event.correlationId,
      causationId: event.eventId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    return [
      {
        Put: {
          TableName: this.deps.inventoryTable,
          Item: withOutbox(item, [reserved]),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...lines.map((line) => ({
        Update: {
          TableName: this.deps.inventoryTable,
          Key: stockKey(line.productId),
          UpdateExpression: 'SET stock = stock - :q',
          ConditionExpression: 'stock >= :q',
          ExpressionAttributeValues: { ':q': line.quantity },
        },
      })),
    ];
  }

  private rejectItems(
    event: DomainEventOf<'OrderCreated'>,
    reason: StockRejectionReason,
    shortLines: ShortLine[],
    now: Date,
  ) {
    const { orderId } = event.payload;
    const rejected = createEvent(
      'StockRejected',
      { orderId, reason, lines: shortLines },
      { ...causedBy(event, now), source: INVENTORY_SOURCE },
    );
    const item: ReservationItem = {
      ...reservationKey(orderId),
      entity: 'RESERVATION',
      orderId,
      reservationId: reservationIdFor(orderId),
      status: 'REJECTED',
      lines: [],
      shortLines,
      correlationId: event.correlationId,
      causationId: event.eventId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    return [
      {
        Put: {
          TableName: this.deps.inventoryTable,
          Item: withOutbox(item, [rejected]),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  private releaseItems(
    event: DomainEventOf<'StockReleaseRequested'>,
    reservation: ReservationItem,
    now: Date,
  ) {
    const released = createEvent(
      'StockReleased',
      {
        orderId: reservation.orderId,
        reservationId: reservation.reservationId,
        lines: reservation.lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
      },
      { ...causedBy(event, now), source: INVENTORY_SOURCE },
    );
    return [
      {
        Update: {
          TableName: this.deps.inventoryTable,
          Key: reservationKey(reservation.orderId),
          ...outboxUpdate(
            {
              UpdateExpression:
                'SET #status = :released, releasedAt = :now, updatedAt = :now, releaseReason = :reason',
              ConditionExpression: '#status = :reserved',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':released': 'RELEASED',
                ':reserved': 'RESERVED',
                ':now': now.toISOString(),
                ':reason': event.payload.reason,
              },
            },
            [released],
          ),
        },
      },
      ...reservation.lines.map((line) => ({
        Update: {
          TableName: this.deps.inventoryTable,
          Key: stockKey(line.productId),
          UpdateExpression: 'ADD stock :q',
          ExpressionAttributeValues: { ':q': line.quantity },
        },
      })),
    ];
  }

  private async readReservation(orderId: string): Promise<ReservationItem | undefined> {
    const { Item } = await this.deps.client.send(
      new GetCommand({
        TableName: this.deps.inventoryTable,
        Key: reservationKey(orderId),
        ConsistentRead: true,
      }),
    );
    return Item as ReservationItem | undefined;
  }

  /** Current stock per product (strongly consistent); products without a stock item are absent. */
  async readStock(productIds: readonly string[]): Promise<Map<string, number>> {
    return this.stock.of(productIds, { consistent: true });
  }
}
