import { describe, expect, it } from 'vitest';
import type { NotificationMessage } from '#functions/notifications/provider';
import { renderMessage } from '#functions/notifications/templates';

const confirmed = (channel: 'email' | 'sms'): NotificationMessage => ({
  notificationId: `o-1#ORDER_CONFIRMED#${channel}`,
  channel,
  to: channel === 'email' ? 'a@example.com' : '+15555550100',
  template: 'ORDER_CONFIRMED',
  orderId: 'o-1',
  data: {
    customerId: 'c-1',
    paymentId: 'pay-9',
    totalAmountMinor: 123456,
    currency: 'EUR',
    confirmedAt: '2026-01-02T03:04:05.000Z',
  },
});

const cancelled = (reason: string, channel: 'email' | 'sms' = 'sms'): NotificationMessage => ({
  notificationId: `o-2#ORDER_CANCELLED#${channel}`,
  channel,
  to: '+15555550100',
  template: 'ORDER_CANCELLED',
  orderId: 'o-2',
  data: { customerId: 'c-1', reason, cancelledAt: '2026-01-02T03:04:05.000Z' },
});

const shipping = (
  template: 'ORDER_SHIPPED' | 'ORDER_DELIVERED',
  channel: 'email' | 'sms',
): NotificationMessage => ({
  notificationId: `o-3#${template}#${channel}`,
  channel,
  to: channel === 'email' ? 'a@example.com' : '+15555550100',
  template,
  orderId: 'o-3',
  data: {
    customerId: 'c-1',
    carrier: 'mock-carrier',
    trackingNumber: 'MC1Z4F7K2Q9D0X',
    ...(template === 'ORDER_SHIPPED'
      ? { shippedAt: '2026-01-03T08:00:00.000Z' }
      : { deliveredAt: '2026-01-04T17:30:00.000Z' }),
  },
});

describe('Function: renderMessage', () => {
  it('renders the confirmation email with the total in major units and the payment', () => {
    // Act
    const rendered = renderMessage(confirmed('email'));

    // Assess
    expect(rendered).toEqual({
      subject: 'Your order o-1 is confirmed',
      body: [
        'Thank you for your order o-1.',
        'It is confirmed and paid: EUR 1234.56 (payment pay-9).',
        'Confirmed at 2026-01-02T03:04:05.000Z.',
      ].join('\n'),
    });
  });

  it('renders a short SMS', () => {
    // Act
    const rendered = renderMessage(confirmed('sms'));

    // Assess
    expect(rendered.body).toBe('Order o-1 is confirmed. Total EUR 1234.56.');
    expect(rendered.body.length).toBeLessThanOrEqual(160);
  });

  it.each([
    ['STOCK_REJECTED', 'some items are out of stock'],
    ['PAYMENT_FAILED', 'the payment did not go through'],
    ['PAYMENT_DEADLINE_EXCEEDED', 'the payment could not be confirmed in time'],
    ['CUSTOMER_REQUEST', 'you asked us to cancel it'],
    ['SOMETHING_NEW', 'it could not be completed'],
  ])('explains the cancellation reason %s in words', (reason, words) => {
    // Act
    const rendered = renderMessage(cancelled(reason));

    // Assess
    expect(rendered.body).toBe(`Order o-2 is cancelled: ${words}.`);
  });

  it('renders the same message to the same text every time', () => {
    // Act
    const texts = [
      renderMessage(cancelled('PAYMENT_FAILED', 'email')),
      renderMessage(cancelled('PAYMENT_FAILED', 'email')),
    ];

    // Assess
    expect(texts[0]).toEqual(texts[1]);
    expect(texts[0]?.subject).toBe('Your order o-2 is cancelled');
  });

  it('renders the shipping email with the carrier, the tracking number and the time it shipped', () => {
    // Act
    const rendered = renderMessage(shipping('ORDER_SHIPPED', 'email'));

    // Assess
    expect(rendered).toEqual({
      subject: 'Your order o-3 has shipped',
      body: [
        'Your order o-3 is on its way.',
        'Carrier: mock-carrier. Tracking number: MC1Z4F7K2Q9D0X.',
        'Shipped at 2026-01-03T08:00:00.000Z.',
      ].join('\n'),
    });
  });

  it('renders the shipping SMS with the carrier and the tracking number', () => {
    // Act
    const rendered = renderMessage(shipping('ORDER_SHIPPED', 'sms'));

    // Assess
    expect(rendered.body).toBe('Order o-3 has shipped with mock-carrier, tracking MC1Z4F7K2Q9D0X.');
    expect(rendered.body.length).toBeLessThanOrEqual(160);
  });

  it('renders the delivery email with the carrier, the tracking number and the time it was delivered', () => {
    // Act
    const rendered = renderMessage(shipping('ORDER_DELIVERED', 'email'));

    // Assess
    expect(rendered).toEqual({
      subject: 'Your order o-3 is delivered',
      body: [
        'Your order o-3 is delivered.',
        'Carrier: mock-carrier. Tracking number: MC1Z4F7K2Q9D0X.',
        'Delivered at 2026-01-04T17:30:00.000Z.',
      ].join('\n'),
    });
  });

  it('renders a short delivery SMS', () => {
    // Act
    const rendered = renderMessage(shipping('ORDER_DELIVERED', 'sms'));

    // Assess
    expect(rendered).toEqual({ subject: 'Your order o-3 is delivered', body: 'Order o-3 is delivered.' });
  });

  it('fails on a template it has no rendering for', () => {
    // Prepare
    const message = { ...confirmed('email'), template: 'ORDER_LOST' } as unknown as NotificationMessage;

    // Act
    const act = () => renderMessage(message);

    // Assess
    expect(act).toThrow('No rendering for template ORDER_LOST');
  });
});
