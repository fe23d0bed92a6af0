import { formatMoney } from '#platform/money';
import type { NotificationData, NotificationMessage, NotificationTemplate } from './provider';

/** What a customer reads: the email's subject and the email or SMS text. */
export interface RenderedMessage {
  /** Email subject (an SMS has none; it is still rendered, for the record). */
  readonly subject: string;
  /** Plain text: the email body, or the SMS text (short, one segment where possible). */
  readonly body: string;
}

/** Why an order was cancelled, as the customer reads it (OrderCancelled's `reason`). */
const CANCELLATION_REASONS: Readonly<Record<string, string>> = {
  STOCK_REJECTED: 'some items are out of stock',
  PAYMENT_FAILED: 'the payment did not go through',
  PAYMENT_DEADLINE_EXCEEDED: 'the payment could not be confirmed in time',
  CUSTOMER_REQUEST: 'you asked us to cancel it',
};

const textOf = (data: NotificationData, key: string): string => {
  const value = data[key];
  return value === undefined ? '' : String(value);
};

function totalOf(data: NotificationData): string {
  const amountMinor = data.totalAmountMinor;
  const currency = data.currency;
  return typeof amountMinor === 'number' && typeof currency === 'string'
    ? formatMoney({ amountMinor, currency })
    : '';
}

/**
 * Renders a notification: the one rendering every provider uses (the mock records it, SES and SNS
 * send it), so a message reads the same whichever provider the stage runs. Pure: the same message
 * always renders the same text.
 */
export function renderMessage(
  message: Pick<NotificationMessage, 'channel' | 'template' | 'orderId' | 'data'>,
): RenderedMessage {
  const { channel, orderId, data } = message;
  const template: NotificationTemplate = message.template;
  switch (template) {
    case 'ORDER_CONFIRMED': {
      const total = totalOf(data);
      const subject = `Your order ${orderId} is confirmed`;
      if (channel === 'sms') return { subject, body: `Order ${orderId} is confirmed. Total ${total}.` };
      return {
        subject,
        body: [
          `Thank you for your order ${orderId}.`,
          `It is confirmed and paid: ${total} (payment ${textOf(data, 'paymentId')}).`,
          `Confirmed at ${textOf(data, 'confirmedAt')}.`,
        ].join('\n'),
      };
    }
    case 'ORDER_CANCELLED': {
      const reasonCode = textOf(data, 'reason');
      const reason = CANCELLATION_REASONS[reasonCode] ?? 'it could not be completed';
      const subject = `Your order ${orderId} is cancelled`;
      if (channel === 'sms') return { subject, body: `Order ${orderId} is cancelled: ${reason}.` };
      return {
        subject,
        body: [
          `Your order ${orderId} is cancelled: ${reason}.`,
          'Any stock held for it is released, and any payment taken is voided or refunded.',
          `Cancelled at ${textOf(data, 'cancelledAt')}.`,
        ].join('\n'),
      };
    }
    case 'ORDER_SHIPPED': {
      const carrier = textOf(data, 'carrier');
      const trackingNumber = textOf(data, 'trackingNumber');
      const subject = `Your order ${orderId} has shipped`;
      if (channel === 'sms') {
        return { subject, body: `Order ${orderId} has shipped with ${carrier}, tracking ${trackingNumber}.` };
      }
      return {
        subject,
        body: [
          `Your order ${orderId} is on its way.`,
          `Carrier: ${carrier}. Tracking number: ${trackingNumber}.`,
          `Shipped at ${textOf(data, 'shippedAt')}.`,
        ].join('\n'),
      };
    }
    case 'ORDER_DELIVERED': {
      const subject = `Your order ${orderId} is delivered`;
      if (channel === 'sms') return { subject, body: `Order ${orderId} is delivered.` };
      return {
        subject,
        body: [
          `Your order ${orderId} is delivered.`,
          `Carrier: ${textOf(data, 'carrier')}. Tracking number: ${textOf(data, 'trackingNumber')}.`,
          `Delivered at ${textOf(data, 'deliveredAt')}.`,
        ].join('\n'),
      };
    }
    default: {
      const unknown: never = template;
      throw new TypeError(`No rendering for template ${String(unknown)}`);
    }
  }
}
