import type { DomainEventOf, Recipient } from '#events';
import type { NotificationChannel, NotificationTemplate } from './provider';

/** Source of the events the notification service emits. */
export const NOTIFICATION_SOURCE = 'notification-service';

/** The order outcomes and shipping progress the service notifies customers about. */
export type OrderOutcomeEvent =
  | DomainEventOf<'OrderConfirmed'>
  | DomainEventOf<'OrderCancelled'>
  | DomainEventOf<'OrderShipped'>
  | DomainEventOf<'OrderDelivered'>;

/** Channel policy: which channels each template goes out on, in this order. */
export const CHANNELS_BY_TEMPLATE: { readonly [T in NotificationTemplate]: readonly NotificationChannel[] } =
  {
    ORDER_CONFIRMED: ['email'],
    ORDER_CANCELLED: ['email', 'sms'],
    ORDER_SHIPPED: ['email', 'sms'],
    ORDER_DELIVERED: ['email', 'sms'],
  };

export function templateOf(event: OrderOutcomeEvent): NotificationTemplate {
  const type = event.eventType;
  switch (type) {
    case 'OrderConfirmed':
      return 'ORDER_CONFIRMED';
    case 'OrderCancelled':
      return 'ORDER_CANCELLED';
    case 'OrderShipped':
      return 'ORDER_SHIPPED';
    case 'OrderDelivered':
      return 'ORDER_DELIVERED';
    default: {
      const unknown: never = type;
      throw new TypeError(`No notification template for ${String(unknown)}`);
    }
  }
}

/** One notification per order, template and channel; a redelivered event maps to the same id. */
export function notificationIdFor(
  orderId: string,
  template: NotificationTemplate,
  channel: NotificationChannel,
): string {
  return `${orderId}#${template}#${channel}`;
}

export function notificationKey(notificationId: string): { pk: string; sk: 'NOTIFICATION' } {
  return { pk: `NOTIFICATION#${notificationId}`, sk: 'NOTIFICATION' };
}

/**
 * Placeholder addresses, for events that do not name the customer's address: OrderConfirmed v1 and
 * OrderCancelled v1/v2 carry no recipient, and orders placed before customer profiles existed carry
 * one without addresses. The service then addresses `<customerId>@customers.example` (a reserved
 * domain that can never deliver) and, for SMS, one fixed number from a range reserved for fiction.
 */
export const PLACEHOLDER_EMAIL_DOMAIN = 'customers.example';
export const PLACEHOLDER_PHONE_NUMBER = '+15555550100';

/** The placeholder address of a customer on a channel (see `PLACEHOLDER_EMAIL_DOMAIN`). */
export function recipientFor(channel: NotificationChannel, customerId: string): string {
  return channel === 'email' ? `${customerId}@${PLACEHOLDER_EMAIL_DOMAIN}` : PLACEHOLDER_PHONE_NUMBER;
}

/**
 * The recipient an event names (OrderConfirmed v2, OrderCancelled v3 and later, OrderShipped and
 * OrderDelivered), if any.
 */
export function eventRecipientOf(event: OrderOutcomeEvent): Recipient | undefined {
  const candidate = (event.payload as { recipient?: Recipient }).recipient;
  return candidate && typeof candidate === 'object' ? candidate : undefined;
}

/**
 * The channels a notification goes out on: the template's channels (`CHANNELS_BY_TEMPLATE`) that the
 * recipient accepts; all of them for an event without a recipient.
 */
export function channelsFor(event: OrderOutcomeEvent): NotificationChannel[] {
  const recipient = eventRecipientOf(event);
  return CHANNELS_BY_TEMPLATE[templateOf(event)].filter(
    (channel) => recipient === undefined || recipient.notifications[channel],
  );
}

/** Where a notification goes: the recipient's email or phone, or the customer's placeholder address. */
export function addressFor(
  channel: NotificationChannel,
  event: OrderOutcomeEvent,
  customerId: string,
): string {
  const recipient = eventRecipientOf(event);
  const address = channel === 'email' ? recipient?.email : recipient?.phone;
  return address ?? recipientFor(channel, customerId);
}

/**
 * The customer to notify: the event's recipient; for an event without one (OrderConfirmed v1,
 * OrderCancelled v1/v2 carry no customerId, only OrderCreated does) the orderId stands in for it, so
 * the placeholder recipient is `<orderId>@customers.example`.
 */
export function customerIdOf(event: OrderOutcomeEvent): string {
  const recipient = eventRecipientOf(event);
  if (recipient) return recipient.customerId;
  const candidate: unknown = (event.payload as { customerId?: unknown }).customerId;
  return typeof candidate === 'string' && candidate.length > 0 ? candidate : event.payload.orderId;
}

/** Template variables of a notification. */
export function templateDataOf(
  event: OrderOutcomeEvent,
  customerId: string,
): { customerId: string } & Record<string, string | number> {
  switch (event.eventType) {
    case 'OrderConfirmed': {
      const { paymentId, total, confirmedAt } = event.payload;
      return {
        customerId,
        paymentId,
        totalAmountMinor: total.amountMinor,
        currency: total.currency,
        confirmedAt,
      };
    }
    case 'OrderCancelled': {
      const { reason, detail, cancelledAt } = event.payload;
      return { customerId, reason, cancelledAt, ...(detail ? { detail } : {}) };
    }
    case 'OrderShipped': {
      const { carrier, trackingNumber, shippedAt } = event.payload;
      return { customerId, carrier, trackingNumber, shippedAt };
    }
    case 'OrderDelivered': {
      const { carrier, trackingNumber, deliveredAt } = event.payload;
      return { customerId, carrier, trackingNumber, deliveredAt };
    }
    default: {
      const unknown: never = event;
      throw new TypeError(`No template data for ${String((unknown as { eventType?: unknown }).eventType)}`);
    }
  }
}

export type NotificationStatus = 'SENT' | 'FAILED';

/** A notification as stored in the `notifications` table (see docs/architecture.md). */
export interface NotificationItem {
  pk: string;
  sk: 'NOTIFICATION';
  entity: 'NOTIFICATION';
  notificationId: string;
  orderId: string;
  channel: NotificationChannel;
  template: NotificationTemplate;
  recipient: string;
  status: NotificationStatus;
  /** Provider calls made. */
  attempts: number;
  provider: string;
  /** SENT only. */
  providerMessageId?: string;
  /** FAILED only: why the message could not be delivered. */
  reason?: string;
  /** The order event that caused the notification. */
  causationId: string;
  correlationId: string;
  /** eventId of the NotificationSent or NotificationFailed event written with the item. */
  resultEventId: string;
  createdAt: string;
}
