import { sleep } from '#platform/backoff';
import { CircuitBreaker } from '#platform/circuit-breaker';
import { documentClient, dynamoDb } from '#platform/clients';
import { type HandlerContext, kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { readEnv } from '#platform/env';
import { logger, metricsOf, tracer } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { channelConfigOf, createAwsClients, providersFor } from '../channels';
import { NotificationConsumerFn } from '../contract';
import type { OrderOutcomeEvent } from '../model';
import type { NotificationProvider } from '../provider';
import { countsAgainstProvider, DEFAULT_BASE_DELAY_MS, DEFAULT_MAX_ATTEMPTS } from '../retry';
import { NotificationService } from '../service';

const env = readEnv(NotificationConsumerFn);
const count = metricsOf(NotificationConsumerFn.metrics);

await primeOnInit([dynamoDbPrimer(dynamoDb, env.NOTIFICATIONS_TABLE_NAME)]);

/** Mock providers, or SES and SNS (`NOTIFY_MODE=aws`); a misconfigured identity fails the cold start. */
const providers = providersFor(channelConfigOf(env), () => {
  const { ses, sns } = createAwsClients();
  return { ses: tracer.captureAWSv3Client(ses), sns: tracer.captureAWSv3Client(sns) };
});

/** One breaker per provider for the life of the container. */
const breakerFor = (provider: NotificationProvider) =>
  new CircuitBreaker({
    name: provider.name,
    isFailure: countsAgainstProvider,
    onStateChange: (change) => {
      logger.warn('provider circuit changed state', { ...change });
      if (change.to === 'OPEN') count('NotificationCircuitOpened');
    },
  });

const service = new NotificationService({
  client: documentClient,
  notificationsTable: env.NOTIFICATIONS_TABLE_NAME,
  providers,
  breakers: { email: breakerFor(providers.email), sms: breakerFor(providers.sms) },
  retry: {
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    baseDelayMs: DEFAULT_BASE_DELAY_MS,
    sleep,
    random: Math.random,
  },
});

const OUTCOME_METRICS = { SENT: 'NotificationsSent', FAILED: 'NotificationsFailed' } as const;

async function onOrderOutcome(event: OrderOutcomeEvent, ctx: HandlerContext): Promise<void> {
  const outcomes = await service.notify(event, ctx.now);
  for (const outcome of outcomes) {
    if (outcome.status === 'SENT' || outcome.status === 'FAILED') count(OUTCOME_METRICS[outcome.status]);
  }
  logger.info('notifications handled', {
    notifications: outcomes.map(({ notificationId, status }) => ({ notificationId, status })),
  });
}

/**
 * Notification service: OrderConfirmed and OrderCancelled on `orders.events`, OrderShipped and
 * OrderDelivered on `shipping.events` become email/SMS notifications, each recorded exactly once with its NotificationSent or NotificationFailed event
 * (functions/notifications/service.ts). An open provider circuit fails the record so it is retried.
 */
export const handler = kafkaConsumerHandler(NotificationConsumerFn, env, {
  OrderConfirmed: onOrderOutcome,
  OrderCancelled: onOrderOutcome,
  OrderShipped: onOrderOutcome,
  OrderDelivered: onOrderOutcome,
});
