import { describe, expect, it } from 'vitest';
import { resolve, resolveNothingToVoid } from '#functions/payments/domain/resolution';
import type { PaymentItem } from '#functions/payments/model';
import type { PaymentStatusResult } from '#functions/payments/provider';
import { payment } from '../helpers';

const psp = (status: Exclude<PaymentStatusResult['status'], 'NOT_FOUND'>): PaymentStatusResult => ({
  status,
  pspReference: 'psp_1',
});
const notFound: PaymentStatusResult = { status: 'NOT_FOUND' };
const before = { deadlinePassed: false };
const after = { deadlinePassed: true };
const cancelled = (overrides: Partial<PaymentItem> = {}) =>
  payment({ reversalRequested: true, reversalReason: 'ORDER_CANCELLED', ...overrides });

describe('Function: resolve', () => {
  describe('an open payment, nothing asked to release it', () => {
    it.each([
      ['SUCCEEDED', before, { kind: 'SETTLE', outcome: { status: 'SUCCEEDED', pspReference: 'psp_1' } }],
      ['SUCCEEDED', after, { kind: 'SETTLE', outcome: { status: 'SUCCEEDED', pspReference: 'psp_1' } }],
      [
        'DECLINED',
        after,
        { kind: 'SETTLE', outcome: { status: 'FAILED', reason: 'DECLINED', pspReference: 'psp_1' } },
      ],
      [
        'INSUFFICIENT_FUNDS',
        before,
        {
          kind: 'SETTLE',
          outcome: { status: 'FAILED', reason: 'INSUFFICIENT_FUNDS', pspReference: 'psp_1' },
        },
      ],
      ['PENDING', before, { kind: 'AWAIT' }],
      ['PENDING', after, { kind: 'VOID' }],
      ['VOIDED', after, { kind: 'RECORD_RELEASE', release: { to: 'VOIDED', pspReference: 'psp_1' } }],
      ['REFUNDED', after, { kind: 'RECORD_RELEASE', release: { to: 'REFUNDED', pspReference: 'psp_1' } }],
    ] as const)('Given the PSP says %s (%o), then it decides %o', (status, context, expected) => {
      // Act
      const resolution = resolve(payment(), psp(status), context);

      // Assess
      expect(resolution).toEqual(expected);
    });

    it('Given the PSP never received it, then before the deadline it is sent again, after it voided', () => {
      // Act
      const early = resolve(payment(), notFound, before);
      const late = resolve(payment({ status: 'AUTHORIZING' }), notFound, after);

      // Assess
      expect(early).toEqual({ kind: 'AUTHORIZE' });
      expect(late).toEqual({ kind: 'VOID' });
    });
  });

  describe('an open payment whose order asked for a reversal', () => {
    it.each([
      ['SUCCEEDED', { kind: 'REFUND' }],
      ['PENDING', { kind: 'VOID' }],
      [
        'DECLINED',
        { kind: 'SETTLE', outcome: { status: 'FAILED', reason: 'DECLINED', pspReference: 'psp_1' } },
      ],
    ] as const)('Given the PSP says %s, then it decides %o, also before the deadline', (status, expected) => {
      // Act
      const resolution = resolve(cancelled(), psp(status), before);

      // Assess
      expect(resolution).toEqual(expected);
    });

    it('Given the PSP never received it, then it is voided, never sent again', () => {
      // Act
      const resolution = resolve(cancelled({ status: 'AUTHORIZING' }), notFound, before);

      // Assess
      expect(resolution).toEqual({ kind: 'VOID' });
    });
  });

  describe('a terminal payment', () => {
    it.each(['SUCCEEDED', 'FAILED', 'VOIDED', 'REFUNDED'] as const)(
      'Given a %s payment owing nothing, then any answer changes nothing',
      (status) => {
        // Act
        const resolution = resolve(payment({ status }), psp('SUCCEEDED'), after);

        // Assess
        expect(resolution).toEqual({ kind: 'NONE' });
      },
    );

    it.each([
      ['SUCCEEDED', { kind: 'REFUND' }],
      ['PENDING', { kind: 'VOID' }],
      ['DECLINED', { kind: 'NOTHING_HELD' }],
      ['VOIDED', { kind: 'RECORD_RELEASE', release: { to: 'VOIDED', pspReference: 'psp_1' } }],
      ['REFUNDED', { kind: 'RECORD_RELEASE', release: { to: 'REFUNDED', pspReference: 'psp_1' } }],
    ] as const)(
      'Given a FAILED payment owing a release and the PSP says %s, then it decides %o',
      (status, expected) => {
        // Act
        const resolution = resolve(
          payment({ status: 'FAILED', reversalRequested: true, reversalReason: 'DEADLINE_EXCEEDED' }),
          psp(status),
          after,
        );

        // Assess
        expect(resolution).toEqual(expected);
      },
    );

    it('Given a SUCCEEDED payment of a cancelled order, then it is refunded, and recorded once the PSP has refunded it', () => {
      // Act
      const captured = resolve(cancelled({ status: 'SUCCEEDED' }), psp('SUCCEEDED'), before);
      const refunded = resolve(cancelled({ status: 'SUCCEEDED' }), psp('REFUNDED'), before);

      // Assess
      expect(captured).toEqual({ kind: 'REFUND' });
      expect(refunded).toEqual({
        kind: 'RECORD_RELEASE',
        release: { to: 'REFUNDED', pspReference: 'psp_1' },
      });
    });

    it.each([
      ['PENDING', psp('PENDING')],
      ['NOT_FOUND', notFound],
      ['VOIDED', psp('VOIDED')],
      ['DECLINED', psp('DECLINED')],
    ] as const)(
      'Given a SUCCEEDED payment of a cancelled order and a PSP that says %s, then only a refund releases it',
      (_, answer) => {
        // Act
        const resolution = resolve(cancelled({ status: 'SUCCEEDED' }), answer, before);

        // Assess
        expect(resolution).toEqual({ kind: 'REFUND' });
      },
    );

    it('Given a released payment that still carries the flag, then nothing is done again', () => {
      // Act
      const resolution = resolve(cancelled({ status: 'VOIDED' }), psp('VOIDED'), after);

      // Assess
      expect(resolution).toEqual({ kind: 'NONE' });
    });
  });
});

describe('Function: resolveNothingToVoid', () => {
  it('Given an open payment past its deadline, then it fails with DEADLINE_EXCEEDED without a release', () => {
    // Act
    const resolution = resolveNothingToVoid(payment());

    // Assess
    expect(resolution).toMatchObject({
      kind: 'SETTLE',
      outcome: { status: 'FAILED', reason: 'DEADLINE_EXCEEDED' },
    });
  });

  it('Given an open payment of a cancelled order, then its reversal is recorded as a void', () => {
    // Act
    const resolution = resolveNothingToVoid(cancelled());

    // Assess
    expect(resolution).toEqual({ kind: 'RECORD_RELEASE', release: { to: 'VOIDED' } });
  });

  it('Given a failed payment owing a release, then nothing is held', () => {
    // Act
    const resolution = resolveNothingToVoid(payment({ status: 'FAILED', reversalRequested: true }));

    // Assess
    expect(resolution).toEqual({ kind: 'NOTHING_HELD' });
  });
});
