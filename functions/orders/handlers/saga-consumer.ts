import { documentClient, dynamoDb } from '#platform/clients';
import { type HandlerContext, kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { readEnv } from '#platform/env';
import { logger, metricsOf } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { SagaConsumerFn } from '../contract';
import type { SagaEvent } from '../domain/saga';
import { OrderStore } from '../order-store';
import { applySagaEvent } from '../saga';

const env = readEnv(SagaConsumerFn);
const deps = { store: new OrderStore(documentClient, env.ORDERS_TABLE_NAME) };
const count = metricsOf(SagaConsumerFn.metrics);

await primeOnInit([dynamoDbPrimer(dynamoDb, env.ORDERS_TABLE_NAME)]);

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
  if (outcome.from !== outcome.to && (outcome.to === 'CONFIRMED' || outcome.to === 'CANCELLED')) {
    count(outcome.to === 'CONFIRMED' ? 'OrdersConfirmed' : 'OrdersCancelled');
    count('SagaDurationMs', ctx.now.getTime() - Date.parse(outcome.order.createdAt));
  }
}

/** Order saga: inventory, payment and shipping events drive the order state machine (functions/orders/saga.ts). */
export const handler = kafkaConsumerHandler(SagaConsumerFn, env, {
  StockReserved: onSagaEvent,
  StockRejected: onSagaEvent,
  PaymentPending: onSagaEvent,
  PaymentSucceeded: onSagaEvent,
  PaymentFailed: onSagaEvent,
  PaymentVoided: onSagaEvent,
  PaymentRefunded: onSagaEvent,
  OrderShipped: onSagaEvent,
  OrderDelivered: onSagaEvent,
});
