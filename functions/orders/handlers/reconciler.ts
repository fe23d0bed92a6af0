import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { instrumented, logger, metricsOf } from '#platform/powertools';
import { OrderReconcilerFn } from '../contract';
import { OrderStore } from '../order-store';
import { type TimeoutOutcome, timeOutStuckOrders } from '../saga';

const env = readEnv(OrderReconcilerFn);
const store = new OrderStore(documentClient, env.ORDERS_TABLE_NAME);
const count = metricsOf(OrderReconcilerFn.metrics);

/**
 * Scheduled reconciler of the order service: orders not finished `ORDER_TIMEOUT_SECONDS` after they
 * were placed are cancelled as TIMED_OUT, releasing their stock and reversing their payment. One log
 * line for the run names the sagas it ended (`correlationIds`).
 */
export const handler = instrumented(async (): Promise<TimeoutOutcome> => {
  const outcome = await timeOutStuckOrders({ store }, new Date(), env.ORDER_TIMEOUT_SECONDS);
  count('OrdersTimedOut', outcome.timedOut.length);
  if (outcome.timedOut.length > 0) logger.warn('orders timed out', { ...outcome });
  return outcome;
});
