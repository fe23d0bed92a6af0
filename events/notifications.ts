import * as z from 'zod';
import { AttemptsSchema, IdSchema } from './common';

/** Notification service, topic `notifications.events`. */

export const NotificationChannelSchema = z.enum(['email', 'sms']);
export type NotificationChannel = z.infer<typeof NotificationChannelSchema>;

/** The templates of version 1 of NotificationSent and NotificationFailed: the order outcomes. */
export const NotificationTemplateV1Schema = z.enum(['ORDER_CONFIRMED', 'ORDER_CANCELLED']);

/** Version 2 adds the shipping notifications (OrderShipped, OrderDelivered). */
export const NotificationTemplateSchema = z.enum([
  ...NotificationTemplateV1Schema.options,
  'ORDER_SHIPPED',
  'ORDER_DELIVERED',
]);
export type NotificationTemplate = z.infer<typeof NotificationTemplateSchema>;

/** The provider accepted the message. */
export const NotificationSentV1 = z
  .object({
    orderId: IdSchema,
    notificationId: IdSchema,
    channel: NotificationChannelSchema,
    template: NotificationTemplateV1Schema,
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
    template: NotificationTemplateV1Schema,
    reason: z.string().min(1).max(1024),
    attempts: AttemptsSchema,
  })
  .strict();

/** Version 2 adds the templates ORDER_SHIPPED and ORDER_DELIVERED. */
export const NotificationSentV2 = NotificationSentV1.extend({
  template: NotificationTemplateSchema,
}).strict();

/** Version 2 adds the templates ORDER_SHIPPED and ORDER_DELIVERED. */
export const NotificationFailedV2 = NotificationFailedV1.extend({
  template: NotificationTemplateSchema,
}).strict();
