import { z } from 'zod';
import { defineConsumer } from '#platform/consumer/contract';
import { setting } from '#platform/contract';

/** Notifications: it writes the `notifications` table (notifications, outbox). */

export const NotificationConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'notifications',
  entry: 'notifications/handlers/consumer.ts',
  description: 'Sends email and SMS for order outcomes, each recorded exactly once with its event',
  consumes: ['OrderConfirmed', 'OrderCancelled'],
  tables: { NOTIFICATIONS_TABLE_NAME: 'readWrite' },
  settings: z.object({
    NOTIFY_FAILURE_RATE: setting
      .rate(0)
      .describe('probability of a random transient failure of each mock provider call'),
  }),
  metrics: { NotificationsSent: 'Count', NotificationsFailed: 'Count', NotificationCircuitOpened: 'Count' },
});
