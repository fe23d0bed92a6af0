import { describe, expect, it } from 'vitest';
import {
  finalOutcomeOf,
  isFinalStatus,
  nextWaitSeconds,
  releaseOf,
  settlementEvent,
} from '#functions/payments/domain/settlement';
import { PaymentInvariantError } from '#functions/payments/errors';
import type { PaymentStatus } from '#functions/payments/model';
import { DEADLINE, NOW, ORDER_ID, PAYMENT_ID, payment, stockReserved, workflowInput } from '../helpers';

describe('Function: finalOutcomeOf', () => {
  it('makes a SUCCEEDED answer a success with its PSP reference', () => {
    // Act
    const outcome = finalOutcomeOf({ status: 'SUCCEEDED', pspReference: 'psp_1' });

    // Assess
    expect(outcome).toEqual({ status: 'SUCCEEDED', pspReference: 'psp_1' });
  });

  it.each(['DECLINED', 'INSUFFICIENT_FUNDS'] as const)(
    'makes a %s answer a failure for that reason',
    (status) => {
      // Act
      const outcome = finalOutcomeOf({ status, pspReference: 'psp_2' });

      // Assess
      expect(outcome).toEqual({ status: 'FAILED', reason: status, pspReference: 'psp_2' });
    },
  );

  it('has no final outcome for a PENDING answer', () => {
    // Act
    const outcome = finalOutcomeOf({ status: 'PENDING', pspReference: 'psp_3' });

    // Assess
    expect(outcome).toBeUndefined();
  });
});

describe('Function: isFinalStatus', () => {
  it.each([
    ['SUCCEEDED', true],
    ['FAILED', true],
    ['VOIDED', true],
    ['REFUNDED', true],
    ['AUTHORIZING', false],
    ['AWAITING_STATUS', false],
  ] as const)('says %s is final: %s', (status: PaymentStatus, expected) => {
    // Assess
    expect(isFinalStatus(status)).toBe(expected);
  });
});

describe('Function: settlementEvent', () => {
  it('emits PaymentSucceeded with the split and the PSP reference, caused by the StockReserved', () => {
    // Prepare
    const paid = payment({ status: 'AWAITING_STATUS' });

    // Act
    const event = settlementEvent(paid, { status: 'SUCCEEDED', pspReference: 'psp_9' }, 2, NOW);

    // Assess
    expect(event).toMatchObject({
      eventType: 'PaymentSucceeded',
      source: 'payment-service',
      aggregateId: ORDER_ID,
      correlationId: stockReserved.correlationId,
      causationId: stockReserved.eventId,
      occurredAt: NOW.toISOString(),
      payload: {
        orderId: ORDER_ID,
        paymentId: PAYMENT_ID,
        amount: paid.amount,
        splits: paid.splits,
        pspReference: 'psp_9',
        attempts: 2,
      },
    });
  });

  it('emits PaymentFailed with the reason and the detail', () => {
    // Act
    const event = settlementEvent(
      payment(),
      { status: 'FAILED', reason: 'DEADLINE_EXCEEDED', detail: 'no answer' },
      1,
      NOW,
    );

    // Assess
    expect(event).toMatchObject({
      eventType: 'PaymentFailed',
      payload: {
        orderId: ORDER_ID,
        paymentId: PAYMENT_ID,
        amount: payment().amount,
        reason: 'DEADLINE_EXCEEDED',
        detail: 'no answer',
        attempts: 1,
      },
    });
  });

  it('leaves the detail out of PaymentFailed when there is none', () => {
    // Act
    const event = settlementEvent(payment(), { status: 'FAILED', reason: 'DECLINED' }, 1, NOW);

    // Assess
    expect(event.payload).not.toHaveProperty('detail');
  });

  it('continues the trace of the StockReserved the payment keeps, with a new span id', () => {
    // Prepare
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const paid = payment({ status: 'AWAITING_STATUS', traceparent });

    // Act
    const event = settlementEvent(paid, { status: 'SUCCEEDED', pspReference: 'psp_9' }, 1, NOW);

    // Assess
    expect(event.trace?.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(event.trace?.traceparent).not.toBe(traceparent);
  });

  it('reports at least one attempt', () => {
    // Act
    const event = settlementEvent(payment(), { status: 'FAILED', reason: 'PSP_ERROR' }, 0, NOW);

    // Assess
    expect(event.payload).toMatchObject({ attempts: 1 });
  });
});

describe('Function: nextWaitSeconds', () => {
  it.each([
    [2, 4],
    [4, 8],
    [16, 30],
    [30, 30],
  ])('doubles a wait of %d s to %d s, capped at the maximum', (wait, expected) => {
    // Act
    const next = nextWaitSeconds(workflowInput(wait), NOW, 30);

    // Assess
    expect(next).toBe(expected);
  });

  it('never waits past the deadline', () => {
    // Act
    const next = nextWaitSeconds(workflowInput(8, '2025-03-01T12:00:04.000Z'), NOW, 30);

    // Assess
    expect(next).toBe(3);
  });

  it('rounds the time left up to whole seconds', () => {
    // Act
    const next = nextWaitSeconds(workflowInput(8, '2025-03-01T12:00:03.200Z'), NOW, 30);

    // Assess
    expect(next).toBe(3);
  });

  it('waits at least one second, even past the deadline or after a wait below one', () => {
    // Act
    const past = nextWaitSeconds(workflowInput(8, '2025-03-01T11:59:00.000Z'), NOW, 30);
    const tiny = nextWaitSeconds(workflowInput(0.2, DEADLINE), NOW, 30);

    // Assess
    expect(past).toBe(1);
    expect(tiny).toBe(2);
  });
});

describe('Function: releaseOf', () => {
  it('Given an open payment past its deadline, when it is voided, then it fails with DEADLINE_EXCEEDED and is voided', () => {
    // Act
    const { failureReason, events } = releaseOf(
      payment(),
      { to: 'VOIDED', pspReference: 'psp_1' },
      NOW,
      true,
    );

    // Assess
    expect(failureReason).toBe('DEADLINE_EXCEEDED');
    expect(events.map((event) => [event.eventType, event.payload])).toEqual([
      [
        'PaymentFailed',
        expect.objectContaining({
          reason: 'DEADLINE_EXCEEDED',
          detail: `No final answer from the PSP before ${DEADLINE}; the authorization was voided`,
        }),
      ],
      [
        'PaymentVoided',
        {
          orderId: ORDER_ID,
          paymentId: PAYMENT_ID,
          amount: payment().amount,
          reason: 'DEADLINE_EXCEEDED',
          pspReference: 'psp_1',
        },
      ],
    ]);
    expect(events.every((event) => event.causationId === stockReserved.eventId)).toBe(true);
  });

  it('Given a payment of a cancelled order, when it is refunded, then only PaymentRefunded is emitted, caused by the reversal request', () => {
    // Prepare
    const reversed = payment({
      status: 'SUCCEEDED',
      pspReference: 'psp_2',
      reversalRequested: true,
      reversalReason: 'ORDER_CANCELLED',
      reversalCausationId: 'evt-reversal',
    });

    // Act
    const { failureReason, events } = releaseOf(reversed, { to: 'REFUNDED' }, NOW, false);

    // Assess
    expect(failureReason).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: 'PaymentRefunded',
      causationId: 'evt-reversal',
      correlationId: stockReserved.correlationId,
      payload: { reason: 'ORDER_CANCELLED', pspReference: 'psp_2' },
    });
  });

  it('Given a payment the PSP never received, when its reversal is recorded, then PaymentVoided carries no reference', () => {
    // Prepare
    const reversed = payment({ reversalRequested: true, reversalReason: 'ORDER_CANCELLED' });

    // Act
    const { events } = releaseOf(reversed, { to: 'VOIDED' }, NOW, false);

    // Assess
    expect(events[0]?.payload).not.toHaveProperty('pspReference');
  });

  it('Given a payment without any PSP reference, when a refund is recorded, then it is refused as a broken invariant', () => {
    // Act
    const release = () => releaseOf(payment({ reversalRequested: true }), { to: 'REFUNDED' }, NOW, false);

    // Assess
    expect(release).toThrow(PaymentInvariantError);
  });
});

describe('Function: releaseOf, when the PSP released an open payment on its own', () => {
  it('Given no deadline has passed, then the payment fails with PSP_ERROR saying what the PSP reports', () => {
    // Act
    const { failureReason, events } = releaseOf(
      payment({ deadline: undefined }),
      { to: 'REFUNDED', pspReference: 'psp_3' },
      NOW,
      false,
    );

    // Assess
    expect(failureReason).toBe('PSP_ERROR');
    expect(events.map((event) => [event.eventType, event.payload])).toEqual([
      [
        'PaymentFailed',
        expect.objectContaining({ reason: 'PSP_ERROR', detail: 'The PSP reports the payment REFUNDED' }),
      ],
      ['PaymentRefunded', expect.objectContaining({ reason: 'DEADLINE_EXCEEDED', pspReference: 'psp_3' })],
    ]);
  });

  it('Given the deadline passed for a payment without one recorded, then the detail says it was refunded', () => {
    // Act
    const { events } = releaseOf(
      payment({ deadline: undefined }),
      { to: 'REFUNDED', pspReference: 'psp_3' },
      NOW,
      true,
    );

    // Assess
    expect(events[0]?.payload).toMatchObject({
      detail: 'No final answer from the PSP before the deadline; the authorization was refunded',
    });
  });
});
