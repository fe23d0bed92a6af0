import { describe, expect, it } from 'vitest';
import {
  behaviourOf,
  CarrierRejectedError,
  CarrierUnavailableError,
  FLAKY_FAILURES,
  MockCarrier,
  mockTrackingNumber,
} from '#functions/shipping/carrier';

const recipient = (email?: string) => ({
  customerId: 'customer-1',
  ...(email ? { email } : {}),
  notifications: { email: true, sms: false },
});

describe('Class: MockCarrier', () => {
  it('books a normal recipient at once with a tracking number derived from the shipment id', async () => {
    // Prepare
    const carrier = new MockCarrier();

    // Act
    const first = await carrier.book({
      shipmentId: 'shp-1',
      orderId: 'o-1',
      recipient: recipient('alice@example.com'),
    });
    const again = await carrier.book({ shipmentId: 'shp-1', orderId: 'o-1', recipient: recipient() });

    // Assess
    expect(first).toEqual({ carrier: 'mock-carrier', trackingNumber: mockTrackingNumber('shp-1') });
    expect(again).toEqual(first);
    expect(first.trackingNumber).toMatch(/^MC[0-9A-F]{12}$/);
  });

  it('fails a +ship-flaky recipient with transient errors before it books', async () => {
    // Prepare
    const carrier = new MockCarrier();
    const request = {
      shipmentId: 'shp-2',
      orderId: 'o-2',
      recipient: recipient('bob+ship-flaky@example.com'),
    };

    // Act
    const failures: unknown[] = [];
    for (let i = 0; i < FLAKY_FAILURES; i++)
      failures.push(await carrier.book(request).catch((error) => error));
    const booking = await carrier.book(request);

    // Assess
    expect(failures.every((error) => error instanceof CarrierUnavailableError)).toBe(true);
    expect(booking.trackingNumber).toBe(mockTrackingNumber('shp-2'));
  });

  it('refuses a +ship-fail recipient with a permanent error', async () => {
    // Act
    const act = new MockCarrier().book({
      shipmentId: 'shp-3',
      orderId: 'o-3',
      recipient: recipient('eve+ship-fail@example.com'),
    });

    // Assess
    await expect(act).rejects.toBeInstanceOf(CarrierRejectedError);
  });

  it.each([
    ['alice@example.com', 'OK'],
    ['alice+news@example.com', 'OK'],
    ['alice+SHIP-FLAKY@example.com', 'FLAKY'],
    ['alice+ship-fail@example.com', 'FAIL'],
    [undefined, 'OK'],
  ] as const)('reads the behaviour of %s as %s', (email, behaviour) => {
    // Act & Assess
    expect(behaviourOf(recipient(email))).toBe(behaviour);
  });
});
