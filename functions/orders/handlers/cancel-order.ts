import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, HttpError, notFound } from '#platform/errors';
import { apiHandler, basePathOf, json, parseJsonBody } from '#platform/http';
import { isValidParam } from '#platform/params';
import {
  CANCEL_MAX_BODY_BYTES,
  CancelConflictError,
  cancelOrder,
  parseCancelOrderRequest,
} from '../cancel-order';
import { CancelOrderFn } from '../contract';
import { OrderIdSchema, orderView } from '../model';
import { OrderStore } from '../order-store';

const store = new OrderStore(documentClient, readEnv(CancelOrderFn).ORDERS_TABLE_NAME);

/**
 * POST /orders/{orderId}/cancel: the caller cancels their own order until it ships. 202 with the
 * CANCELLED order when cancelled now (its compensations ride on the same write), 200 with the order
 * when it was cancelled already (nothing written), 409 ORDER_NOT_CANCELLABLE with the status for a
 * SHIPPED or DELIVERED order. Another customer's order is answered like an unknown id (404).
 * The body is optional: `{ "reason": "..." }`; anything else is a 400 and writes nothing.
 */
export const handler = apiHandler(async (event) => {
  const caller = callerOf(event);
  const orderId = event.pathParameters?.orderId ?? '';
  if (!isValidParam(OrderIdSchema, orderId)) {
    throw badRequest('INVALID_ORDER_ID', 'The order id is malformed', [
      { path: 'path.orderId', message: 'an order id is a 26-character ULID' },
    ]);
  }
  const hasBody = (event.body ?? '') !== '';
  const parsed = parseCancelOrderRequest(
    hasBody ? parseJsonBody(event, { maxBytes: CANCEL_MAX_BODY_BYTES }) : {},
  );
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The cancellation is invalid', { details: parsed.issues });
  }
  let result: Awaited<ReturnType<typeof cancelOrder>>;
  try {
    result = await cancelOrder(
      { store },
      { orderId, customerId: caller.sub, command: { type: 'CancelRequested', reason: parsed.value.reason } },
      new Date(),
    );
  } catch (error) {
    if (error instanceof CancelConflictError) {
      throw new HttpError(409, 'ORDER_BUSY', 'The order is changing; retry the cancellation', {
        cause: error,
        headers: { 'retry-after': '1' },
      });
    }
    throw error;
  }
  switch (result.kind) {
    case 'CANCELLED':
      return json(202, orderView(result.order, basePathOf(event)));
    case 'ALREADY_CANCELLED':
      return json(200, orderView(result.order, basePathOf(event)));
    case 'NOT_CANCELLABLE':
      throw new HttpError(
        409,
        'ORDER_NOT_CANCELLABLE',
        `An order in ${result.order.status} cannot be cancelled`,
        {
          details: [
            { path: 'status', message: `the order is ${result.order.status}`, status: result.order.status },
          ],
        },
      );
    case 'NOT_FOUND':
      throw notFound(`Order ${orderId} does not exist`);
    default: {
      const unhandled: never = result;
      throw new Error(`Unhandled cancellation result ${JSON.stringify(unhandled)}`);
    }
  }
});
