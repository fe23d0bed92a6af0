import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CircuitBreaker } from '../../commons/circuit-breaker';
import { documentClient } from '../../commons/clients';
import { requireEnv } from '../../commons/env';
import { logger, metrics } from '../../commons/powertools';
import { type HandlerContext, kafkaConsumerHandler } from '../../consumers/kafka-consumer';
import type { OrderOutcomeEvent } from '../../notifications/model';
import type { NotificationProvider } from '../../notifications/provider';
import { MockEmailProvider, MockSmsProvider } from '../../notifications/providers';
import {
  countsAgainstProvider,
  DEFAULT_BASE_DELAY_MS,
  DEFAULT_MAX_ATTEMPTS,
} from '../../notifications/retry';
import { NotificationService } from '../../notifications/service';
import { notificationSettingsFromEnv } from '../../notifications/settings';

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
