import * as z from 'zod';
import { defineConsumer } from '#platform/consumer/contract';
import { setting } from '#platform/contract';

/** Notifications: it writes the `notifications` table (notifications, outbox). */

export const NotificationConsumerFn = defineConsumer({
  name: 'consumer',
  service: 'notifications',
  entry: 'notifications/handlers/consumer.ts',
  description:
    'Sends email and SMS for order outcomes and shipping progress, each recorded exactly once with its event',
  consumes: ['OrderConfirmed', 'OrderCancelled', 'OrderShipped', 'OrderDelivered'],
  tables: { NOTIFICATIONS_TABLE_NAME: 'readWrite' },
  // The identity settings are in every consumer's environment, empty unless notifyMode=aws sets them
  // (an empty variable reads as unset).
  settings: z.object({
    NOTIFY_FAILURE_RATE: setting
      .rate(0)
      .describe('probability of a random transient failure of each mock provider call'),
    NOTIFY_MODE: setting
      .oneOf(['mock', 'aws'], 'mock')
      .describe('`mock` records what it would send; `aws` sends email through SES and SMS through SNS'),
    NOTIFY_FROM_EMAIL: z
      .string()
      .trim()
      .optional()
      .describe('sender address of the emails (`aws` mode, where it is required)'),
    NOTIFY_SES_CONFIGURATION_SET: z
      .string()
      .trim()
      .optional()
      .describe('SES configuration set every email is sent with (`aws` mode, optional)'),
    NOTIFY_SMS_SENDER_ID: z
      .string()
      .trim()
      .optional()
      .describe('alphanumeric SMS sender id (`aws` mode, optional)'),
    NOTIFY_SMS_ORIGINATION_NUMBER: z
      .string()
      .trim()
      .optional()
      .describe('phone number SMS are sent from, E.164 (`aws` mode, optional)'),
  }),
  metrics: { NotificationsSent: 'Count', NotificationsFailed: 'Count', NotificationCircuitOpened: 'Count' },
});
