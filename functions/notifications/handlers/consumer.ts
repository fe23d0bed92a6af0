import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CircuitBreaker } from '#platform/circuit-breaker';
import { documentClient } from '#platform/clients';
import { type HandlerContext, kafkaConsumerHandler } from '#platform/consumer/kafka-consumer';
import { requireEnv } from '#platform/env';
import { logger, metrics } from '#platform/powertools';
import type { OrderOutcomeEvent } from '../model';
import type { NotificationProvider } from '../provider';
import { MockEmailProvider, MockSmsProvider } from '../providers';
import { countsAgainstProvider, DEFAULT_BASE_DELAY_MS, DEFAULT_MAX_ATTEMPTS } from '../retry';
import { NotificationService } from '../service';
import { notificationSettingsFromEnv } from '../settings';

const settings = notificationSettingsFromEnv();
const notificationsTable = requireEnv('NOTIFICATIONS_TABLE_NAME');

const providers = {
  email: new MockEmailProvider({ failureRate: settings.failureRate }),
  sms: new MockSmsProvider({ failureRate: settings.failureRate }),
};

/** One breaker per provider for the life of the container. */
const breakerFor = (provider: NotificationProvider) =>
  new CircuitBreaker({
    name: provider.name,
    isFailure: countsAgainstProvider,
    onStateChange: (change) => {
      logger.warn('provider circuit changed state', { ...change });
      if (change.to === 'OPEN') {
        metrics.addMetric('NotificationCircuitOpened', MetricUnit.Count, 1);
      }
    },
  });

const service = new NotificationService({
  client: documentClient,
  notificationsTable,
  providers,
  breakers: { email: breakerFor(providers.email), sms: breakerFor(providers.sms) },
  retry: {
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    baseDelayMs: DEFAULT_BASE_DELAY_MS,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
  },
});

const OUTCOME_METRICS = { SENT: 'NotificationsSent', FAILED: 'NotificationsFailed' } as const;

async function onOrderOutcome(event: OrderOutcomeEvent, ctx: HandlerContext): Promise<void> {
  const outcomes = await service.notify(event, ctx.now);
  for (const outcome of outcomes) {
    if (outcome.status === 'SENT' || outcome.status === 'FAILED') {
      metrics.addMetric(OUTCOME_METRICS[outcome.status], MetricUnit.Count, 1);
    }
  }
  logger.info('notifications handled', {
    notifications: outcomes.map(({ notificationId, status }) => ({ notificationId, status })),
  });
}

/**
 * Notification service: OrderConfirmed and OrderCancelled on `orders.events` become email/SMS
 * notifications, each recorded exactly once with its NotificationSent or NotificationFailed event
 * (src/notifications/service.ts). An open provider circuit fails the record so it is retried.
 */
export const handler = kafkaConsumerHandler({
  service: 'notification',
  handlers: {
    OrderConfirmed: onOrderOutcome,
    OrderCancelled: onOrderOutcome,
  },
});
