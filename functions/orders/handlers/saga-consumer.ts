import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { documentClient } from '#platform/clients';
import { type HandlerContext, kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { requireEnv } from '#platform/env';
import { logger, metrics } from '#platform/powertools';
import { applySagaEvent, type SagaEvent } from '../saga';

const deps = { client: documentClient, ordersTable: requireEnv('ORDERS_TABLE_NAME') };

async function onSagaEvent(event: SagaEvent, ctx: HandlerContext): Promise<void> {
  const outcome = await applySagaEvent(deps, event, ctx.now);
  if (!outcome.applied) {
    logger.info('saga event changes nothing', { reason: outcome.reason });
    return;
  }
  logger.info('order transitioned', {
    from: outcome.from,
    to: outcome.to,
    emitted: outcome.emitted.map((next) => next.eventType),
  });
  if (outcome.to === 'CONFIRMED' || outcome.to === 'CANCELLED') {
    metrics.addMetric(
      outcome.to === 'CONFIRMED' ? 'OrdersConfirmed' : 'OrdersCancelled',
      MetricUnit.Count,
      1,
    );
    metrics.addMetric(
      'SagaDurationMs',
      MetricUnit.Milliseconds,
      ctx.now.getTime() - Date.parse(outcome.order.createdAt),
    );
  }
}

/** Order saga: inventory and payment events drive the order state machine (src/orders/saga.ts). */
export const handler = kafkaConsumerHandler({
  service: 'order-saga',
  handlers: {
    StockReserved: onSagaEvent,
    StockRejected: onSagaEvent,
    PaymentPending: onSagaEvent,
    PaymentSucceeded: onSagaEvent,
    PaymentFailed: onSagaEvent,
  },
});
