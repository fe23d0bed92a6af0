import { z } from 'zod';
import { AttemptsSchema, IdSchema } from './common';

/** Notification service, topic `notifications.events`. */

export const NotificationChannelSchema = z.enum(['email', 'sms']);
export type NotificationChannel = z.infer<typeof NotificationChannelSchema>;

export const NotificationTemplateSchema = z.enum(['ORDER_CONFIRMED', 'ORDER_CANCELLED']);
export type NotificationTemplate = z.infer<typeof NotificationTemplateSchema>;

/** The provider accepted the message. */
export const NotificationSentV1 = z
  .object({
    orderId: IdSchema,
    notificationId: IdSchema,
    channel: NotificationChannelSchema,
    template: NotificationTemplateSchema,
    provider: z.string().min(1).max(128),
    attempts: AttemptsSchema,
  })
  .strict();

/** The message could not be delivered after all retries. */
export const NotificationFailedV1 = z
  .object({
    orderId: IdSchema,
    notificationId: IdSchema,
    channel: NotificationChannelSchema,
    template: NotificationTemplateSchema,
    reason: z.string().min(1).max(1024),
    attempts: AttemptsSchema,
  })
  .strict();
