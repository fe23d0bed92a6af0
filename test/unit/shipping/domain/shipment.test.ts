import { describe, expect, it } from 'vitest';
import {
  type CarrierReport,
  decideCancel,
  decideReport,
  ShipmentInvariantError,
  type ShipmentState,
  shipmentIdFor,
} from '#functions/shipping/domain/shipment';

const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const RECIPIENT = {
  customerId: 'customer-1',
  email: 'alice@example.com',
  notifications: { email: true, sms: false },
};

function givenShipment(
  status: ShipmentState['status'],
  overrides: Partial<ShipmentState> = {},
): ShipmentState {
  return {
    shipmentId: shipmentIdFor(ORDER_ID),
    orderId: ORDER_ID,
    status,
    version: 1,
    carrier: 'mock-carrier',
    trackingNumber: 'MC0123456789AB',
    recipient: RECIPIENT,
    ...overrides,
  };
}

const report = (status: CarrierReport['status']): CarrierReport => ({
  eventId: 'evt-1',
  status,
  occurredAt: '2025-03-01T15:00:00.000Z',
});

const FIELDS = {
  orderId: ORDER_ID,
  shipmentId: `shp-${ORDER_ID}`,
  carrier: 'mock-carrier',
  trackingNumber: 'MC0123456789AB',
  recipient: RECIPIENT,
};

describe('Function: decideReport', () => {
  it.each(['PICKED_UP', 'IN_TRANSIT'] as const)(
    'Given a CREATED shipment, when the carrier reports %s, then it is SHIPPED and OrderShipped is emitted',
    (status) => {
      // Act
      const decision = decideReport(givenShipment('CREATED'), report(status));

      // Assess
      expect(decision).toEqual({
        kind: 'CHANGE',
        to: 'SHIPPED',
        emit: [{ type: 'OrderShipped', payload: { ...FIELDS, shippedAt: '2025-03-01T15:00:00.000Z' } }],
      });
    },
  );

  it('Given a SHIPPED shipment, when the carrier reports DELIVERED, then it is DELIVERED and only OrderDelivered is emitted', () => {
    // Act
    const decision = decideReport(givenShipment('SHIPPED'), report('DELIVERED'));

    // Assess
    expect(decision).toEqual({
      kind: 'CHANGE',
      to: 'DELIVERED',
      emit: [{ type: 'OrderDelivered', payload: { ...FIELDS, deliveredAt: '2025-03-01T15:00:00.000Z' } }],
    });
  });

  it('Given a CREATED shipment, when the carrier reports DELIVERED without a pickup, then OrderShipped comes before OrderDelivered', () => {
    // Act
    const decision = decideReport(givenShipment('CREATED'), report('DELIVERED'));

    // Assess
    expect(decision.kind === 'CHANGE' && decision.emit.map((event) => event.type)).toEqual([
      'OrderShipped',
      'OrderDelivered',
    ]);
  });

  it.each([
    ['SHIPPED', 'PICKED_UP'],
    ['SHIPPED', 'IN_TRANSIT'],
    ['DELIVERED', 'PICKED_UP'],
    ['DELIVERED', 'DELIVERED'],
    ['CANCELLED', 'PICKED_UP'],
    ['FAILED', 'DELIVERED'],
  ] as const)(
    'Given a %s shipment, when the carrier reports %s, then nothing changes',
    (status, reported) => {
      // Act
      const decision = decideReport(givenShipment(status), report(reported));

      // Assess
      expect(decision.kind).toBe('IGNORE');
    },
  );

  it('Given a CREATED shipment without a booking, when a report arrives, then it throws a permanent invariant error', () => {
    // Act & Assess
    expect(() =>
      decideReport(givenShipment('CREATED', { trackingNumber: undefined }), report('PICKED_UP')),
    ).toThrow(ShipmentInvariantError);
  });
});

describe('Function: decideCancel', () => {
  it('Given no shipment, when the order is cancelled, then a tombstone is recorded', () => {
    // Act & Assess
    expect(decideCancel(undefined)).toEqual({ kind: 'TOMBSTONE' });
  });

  it('Given a CREATED shipment, when the order is cancelled, then the parcel is cancelled at the carrier', () => {
    // Act & Assess
    expect(decideCancel(givenShipment('CREATED'))).toEqual({
      kind: 'CANCEL_AT_CARRIER',
      trackingNumber: 'MC0123456789AB',
    });
  });

  it.each(['SHIPPED', 'DELIVERED'] as const)(
    'Given a %s shipment, when the order is cancelled, then it is too late (an operator returns the parcel)',
    (status) => {
      // Act & Assess
      expect(decideCancel(givenShipment(status))).toEqual({ kind: 'TOO_LATE', status });
    },
  );

  it.each(['CANCELLED', 'FAILED'] as const)(
    'Given a %s shipment, when the order is cancelled, then there is nothing to cancel',
    (status) => {
      // Act & Assess
      expect(decideCancel(givenShipment(status))).toEqual({ kind: 'NOTHING_TO_CANCEL', status });
    },
  );
});
