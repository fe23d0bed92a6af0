import * as z from 'zod';
import type { DomainEvent } from '#events';
import { RetryableError } from '#platform/errors';
import { parseRequest } from './domain/create-order-request';
import { CANCEL_REASON_MAX_LENGTH, decideCommand, evolve, type OrderCommand } from './domain/saga';
import type { OrderItem } from './model';
import type { OrderStore } from './order-store';
import { envelopesWith, SAGA_SOURCE, stateOf } from './saga';

/** Concurrent writers kept changing the order while a customer cancelled it; the client may retry. */
export class CancelConflictError extends RetryableError {
  readonly code = 'ORDER_BUSY';
}

/** The optional body of `POST /orders/{orderId}/cancel`. */
export const CancelOrderRequestSchema = z
  .strictObject({
    reason: z
      .string({ error: 'reason must be a string' })
      .trim()
      .min(1, 'reason must not be empty')
      .max(CANCEL_REASON_MAX_LENGTH, `reason must be at most ${CANCEL_REASON_MAX_LENGTH} characters`)
      .optional()
      .describe("the customer's reason, passed on with OrderCancelled"),
  })
  .meta({ id: 'CancelOrderRequest' });
export type CancelOrderRequest = z.infer<typeof CancelOrderRequestSchema>;

/** The largest body the cancel route reads. */
export const CANCEL_MAX_BODY_BYTES = 2048;

/** Validates a cancel body (already parsed JSON); no body at all is `{}`. */
export const parseCancelOrderRequest = (body: unknown) => parseRequest(CancelOrderRequestSchema, body);

/** What became of a customer's cancellation; the API handler maps each kind to a response. */
export type CancelOrderResult =
  /** Cancelled now, with the compensations and OrderCancelled in the same write. */
  | { kind: 'CANCELLED'; order: OrderItem; emitted: DomainEvent[] }
  /** Cancelled before (by an earlier request or by the saga): nothing written. */
  | { kind: 'ALREADY_CANCELLED'; order: OrderItem }
  /** The order's status does not allow a cancellation: nothing written. */
  | { kind: 'NOT_CANCELLABLE'; order: OrderItem }
  /** No such order of this customer (another customer's order looks the same). */
  | { kind: 'NOT_FOUND' };

const MAX_CONFLICTS = 5;

/**
 * A customer cancels their own order: read it (consistently), decide (`decideCommand`), and save the
 * cancellation with its events in one write conditioned on the status and version read
 * (`OrderStore.save`). A lost race with the saga reads and decides again, so the order is cancelled
 * and compensated at most once, or found finished.
 */
export async function cancelOrder(
  deps: { store: OrderStore },
  input: { orderId: string; customerId: string; command: OrderCommand },
  now: Date,
): Promise<CancelOrderResult> {
  for (let attempt = 0; attempt <= MAX_CONFLICTS; attempt++) {
    const order = await deps.store.get(input.orderId, { consistent: true });
    if (!order || order.customerId !== input.customerId) return { kind: 'NOT_FOUND' };
    const before = stateOf(order);
    const decision = decideCommand(before, input.command, now);
    if (decision.kind === 'ALREADY_CANCELLED') return { kind: 'ALREADY_CANCELLED', order };
    if (decision.kind === 'REJECTED') return { kind: 'NOT_CANCELLABLE', order };
    const after = evolve(before, decision, undefined, now);
    const emitted = envelopesWith(decision.emit, {
      source: SAGA_SOURCE,
      aggregateId: order.orderId,
      correlationId: order.correlationId,
      now,
    });
    if ((await deps.store.save(before, after, emitted)) === 'STALE') continue;
    const saved: OrderItem = {
      ...order,
      status: after.status,
      version: after.version,
      updatedAt: after.updatedAt,
      history: [...after.history],
      ...(after.releaseRequested ? { releaseRequested: true } : {}),
      ...(after.reversalRequested ? { reversalRequested: true } : {}),
    };
    return { kind: 'CANCELLED', order: saved, emitted };
  }
  throw new CancelConflictError(`Order ${input.orderId} kept changing while it was cancelled`);
}
