import { describe, expect, it, vi } from 'vitest';
import { MockPsp, type MockPspSettings } from '#functions/mock-psp/mock-psp';
import type { AuthorizationBody, PspPaymentRecord, PspStatus } from '#functions/mock-psp/model';
import type { AcceptedAuthorization, PspStore } from '#functions/mock-psp/store';

/** The store's contract in memory: atomic per payment, like the conditional DynamoDB writes. */
class MemoryStore implements PspStore {
  readonly records = new Map<string, PspPaymentRecord>();

  async countCall(paymentId: string): Promise<PspPaymentRecord> {
    const record = this.records.get(paymentId) ?? { paymentId, calls: 0 };
    record.calls += 1;
    this.records.set(paymentId, record);
    return { ...record };
  }

  async accept(accepted: AcceptedAuthorization, now: Date) {
    const existing = this.records.get(accepted.paymentId);
    if (existing?.status) return { record: { ...existing }, created: false };
    const record = {
      calls: existing?.calls ?? 0,
      ...accepted,
      statusChecks: 0,
      createdAt: now.toISOString(),
    };
    this.records.set(accepted.paymentId, record);
    return { record: { ...record }, created: true };
  }

  async get(paymentId: string) {
    const record = this.records.get(paymentId);
    return record ? { ...record } : undefined;
  }

  async countCheck(paymentId: string) {
    const record = this.records.get(paymentId);
    if (!record) throw new Error('missing');
    record.statusChecks = (record.statusChecks ?? 0) + 1;
    return { ...record };
  }

  async transition(paymentId: string, from: PspStatus, to: PspStatus) {
    const record = this.records.get(paymentId);
    if (record?.status !== from) return false;
    record.status = to;
    return true;
  }

  async voidUnaccepted(paymentId: string, pspReference: string, now: Date) {
    const existing = this.records.get(paymentId);
    if (existing?.status) return { record: { ...existing }, created: false };
    const record: PspPaymentRecord = {
      paymentId,
      calls: existing?.calls ?? 0,
      status: 'VOIDED',
      pspReference,
      createdAt: now.toISOString(),
      releasedAt: now.toISOString(),
    };
    this.records.set(paymentId, record);
    return { record: { ...record }, created: true };
  }
}

const SETTINGS: MockPspSettings = {
  timeoutDelayMs: 5000,
  slowDelayMs: 800,
  faultRate5xx: 0,
  faultRateTimeout: 0,
  lateSettleMs: 60_000,
};

const START = new Date('2025-03-01T12:00:00.000Z');

function setup(settings: Partial<MockPspSettings> = {}, random = () => 0.5) {
  const store = new MemoryStore();
  const sleep = vi.fn(async (_ms: number) => undefined);
  let references = 0;
  const clock = { now: START };
  const psp = new MockPsp({
    store,
    settings: { ...SETTINGS, ...settings },
    clock: () => clock.now,
    random,
    sleep,
    newReference: () => `psp_${++references}`,
  });
  /** Moves the PSP's clock on by `ms`. */
  const advance = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  return { psp, store, sleep, advance };
}

const body = (token: string, paymentId = 'pay-1'): AuthorizationBody => ({
  paymentId,
  amount: { amountMinor: 9997, currency: 'EUR' },
  token,
  splits: [{ sellerId: 's', amount: { amountMinor: 9997, currency: 'EUR' } }],
});

describe('Class: MockPsp', () => {
  it.each([
    ['tok_ok', 'SUCCEEDED'],
    ['tok_decline', 'DECLINED'],
    ['tok_insufficient_funds', 'INSUFFICIENT_FUNDS'],
    ['tok_pending', 'PENDING'],
    ['tok_pending_fail', 'PENDING'],
    ['tok_late', 'PENDING'],
    ['tok_unknown', 'DECLINED'],
  ])('answers %s with %s at once', async (token, status) => {
    // Prepare
    const { psp, sleep } = setup();

    // Act
    const response = await psp.authorize('pay-1', body(token));

    // Assess
    expect(response).toEqual({
      statusCode: 201,
      body: {
        paymentId: 'pay-1',
        status,
        pspReference: 'psp_1',
        amount: { amountMinor: 9997, currency: 'EUR' },
        money: {
          currency: 'EUR',
          authorizedMinor: status === 'PENDING' ? 9997 : 0,
          capturedMinor: status === 'SUCCEEDED' ? 9997 : 0,
          voidedMinor: 0,
          refundedMinor: 0,
        },
      },
    });
    expect(sleep).not.toHaveBeenCalled();
  });

  it('returns the recorded outcome for a repeated key and never charges twice', async () => {
    // Prepare
    const { psp, store } = setup();
    await psp.authorize('pay-1', body('tok_ok'));

    // Act
    const again = await psp.authorize('pay-1', body('tok_ok'));

    // Assess
    expect(again.statusCode).toBe(200);
    expect(again.body).toMatchObject({ status: 'SUCCEEDED', pspReference: 'psp_1' });
    expect(store.records.size).toBe(1);
  });

  it('rejects a key reused with another token or amount with 409', async () => {
    // Prepare
    const { psp } = setup();
    await psp.authorize('pay-1', body('tok_ok'));

    // Act
    const response = await psp.authorize('pay-1', body('tok_decline'));

    // Assess
    expect(response.statusCode).toBe(409);
    expect(response.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });

  it('requires the Idempotency-Key to be the paymentId', async () => {
    // Prepare
    const { psp } = setup();

    // Act
    const missing = await psp.authorize(undefined, body('tok_ok'));
    const other = await psp.authorize('pay-2', body('tok_ok'));

    // Assess
    expect(missing.statusCode).toBe(400);
    expect(other.statusCode).toBe(400);
  });

  it.each([
    ['tok_pending', 'SUCCEEDED'],
    ['tok_pending_fail', 'DECLINED'],
  ])('resolves %s to %s on the third status check', async (token, final) => {
    // Prepare
    const { psp } = setup();
    await psp.authorize('pay-1', body(token));

    // Act
    const checks = [];
    for (let i = 0; i < 4; i++) checks.push((await psp.getPayment('pay-1')).body.status);

    // Assess
    expect(checks).toEqual(['PENDING', 'PENDING', final, final]);
  });

  it('answers tok_flaky with 503 on the first two calls for a key, then succeeds', async () => {
    // Prepare
    const { psp } = setup();

    // Act
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await psp.authorize('pay-1', body('tok_flaky'))).statusCode);
    const status = await psp.getPayment('pay-1');

    // Assess
    expect(codes).toEqual([503, 503, 201]);
    expect(status.body.status).toBe('SUCCEEDED');
  });

  it('reports 404 for a payment it never accepted', async () => {
    // Prepare
    const { psp } = setup();
    await psp.authorize('pay-1', body('tok_flaky'));

    // Act
    const response = await psp.getPayment('pay-1');

    // Assess
    expect(response.statusCode).toBe(404);
  });

  it('records tok_timeout as SUCCEEDED but answers only after the timeout delay', async () => {
    // Prepare
    const { psp, sleep, store } = setup();

    // Act
    const response = await psp.authorize('pay-1', body('tok_timeout'));

    // Assess
    expect(sleep).toHaveBeenCalledWith(5000);
    expect(store.records.get('pay-1')?.status).toBe('SUCCEEDED');
    expect(response.body.status).toBe('SUCCEEDED');
    expect((await psp.getPayment('pay-1')).body.status).toBe('SUCCEEDED');
  });

  it('answers tok_slow with SUCCEEDED after the slow delay', async () => {
    // Prepare
    const { psp, sleep } = setup();

    // Act
    const response = await psp.authorize('pay-1', body('tok_slow'));

    // Assess
    expect(sleep).toHaveBeenCalledWith(800);
    expect(response.body.status).toBe('SUCCEEDED');
  });

  it('injects 503s before recording anything at the configured rate', async () => {
    // Prepare
    const { psp, store } = setup({ faultRate5xx: 0.3 }, () => 0.2);

    // Act
    const response = await psp.authorize('pay-1', body('tok_ok'));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(store.records.size).toBe(0);
  });

  it('injects late answers after recording at the configured rate', async () => {
    // Prepare
    const { psp, sleep, store } = setup({ faultRateTimeout: 0.3 }, () => 0.2);

    // Act
    await psp.authorize('pay-1', body('tok_ok'));

    // Assess
    expect(sleep).toHaveBeenCalledWith(5000);
    expect(store.records.get('pay-1')?.status).toBe('SUCCEEDED');
  });

  it('keeps tok_late pending through every status check and settles it only once its time has come', async () => {
    // Prepare
    const { psp, advance } = setup({ lateSettleMs: 60_000 });
    await psp.authorize('pay-1', body('tok_late'));

    // Act
    const before = [];
    for (let i = 0; i < 5; i++) before.push((await psp.getPayment('pay-1')).body.status);
    advance(59_999);
    const justBefore = (await psp.getPayment('pay-1')).body.status;
    advance(1);
    const after = await psp.getPayment('pay-1');

    // Assess
    expect(before).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING', 'PENDING']);
    expect(justBefore).toBe('PENDING');
    expect(after.body).toMatchObject({
      status: 'SUCCEEDED',
      money: { authorizedMinor: 0, capturedMinor: 9997 },
    });
  });

  describe('Method: voidPayment', () => {
    it('releases a pending authorization, once, and answers the same when asked again', async () => {
      // Prepare
      const { psp, store } = setup();
      await psp.authorize('pay-1', body('tok_pending'));

      // Act
      const first = await psp.voidPayment('pay-1');
      const again = await psp.voidPayment('pay-1');

      // Assess
      expect(first).toEqual(again);
      expect(first).toEqual({
        statusCode: 200,
        body: {
          paymentId: 'pay-1',
          status: 'VOIDED',
          pspReference: 'psp_1',
          amount: { amountMinor: 9997, currency: 'EUR' },
          money: {
            currency: 'EUR',
            authorizedMinor: 0,
            capturedMinor: 0,
            voidedMinor: 9997,
            refundedMinor: 0,
          },
        },
      });
      expect(store.records.get('pay-1')?.status).toBe('VOIDED');
    });

    it('stops a tok_late payment from ever settling', async () => {
      // Prepare
      const { psp, advance } = setup({ lateSettleMs: 60_000 });
      await psp.authorize('pay-1', body('tok_late'));
      await psp.voidPayment('pay-1');

      // Act
      advance(120_000);
      const later = await psp.getPayment('pay-1');

      // Assess
      expect(later.body).toMatchObject({ status: 'VOIDED', money: { authorizedMinor: 0, capturedMinor: 0 } });
    });

    it('refuses to void a captured payment with 409, also a tok_late one that settled before the void', async () => {
      // Prepare
      const { psp, advance, store } = setup({ lateSettleMs: 60_000 });
      await psp.authorize('pay-1', body('tok_ok'));
      await psp.authorize('pay-2', body('tok_late', 'pay-2'));
      advance(60_000);

      // Act
      const captured = await psp.voidPayment('pay-1');
      const settledLate = await psp.voidPayment('pay-2');

      // Assess
      for (const response of [captured, settledLate]) {
        expect(response).toMatchObject({ statusCode: 409, body: { error: { code: 'ALREADY_CAPTURED' } } });
      }
      expect(store.records.get('pay-1')?.status).toBe('SUCCEEDED');
      expect(store.records.get('pay-2')?.status).toBe('SUCCEEDED');
    });

    it.each(['tok_decline', 'tok_insufficient_funds'])(
      'refuses to void a %s payment, which holds nothing',
      async (token) => {
        // Prepare
        const { psp, store } = setup();
        await psp.authorize('pay-1', body(token));

        // Act
        const response = await psp.voidPayment('pay-1');

        // Assess
        expect(response).toMatchObject({ statusCode: 409, body: { error: { code: 'NOT_VOIDABLE' } } });
        expect(store.records.get('pay-1')?.status).not.toBe('VOIDED');
      },
    );

    it('voids a payment it never accepted, so its authorization is refused when it arrives late', async () => {
      // Prepare
      const { psp, store } = setup();

      // Act
      const voided = await psp.voidPayment('pay-1');
      const late = await psp.authorize('pay-1', body('tok_ok'));

      // Assess
      expect(voided).toMatchObject({
        statusCode: 200,
        body: { status: 'VOIDED', money: { authorizedMinor: 0, capturedMinor: 0, voidedMinor: 0 } },
      });
      expect(late).toMatchObject({ statusCode: 409, body: { error: { code: 'PAYMENT_VOIDED' } } });
      expect(store.records.get('pay-1')).toMatchObject({ status: 'VOIDED' });
      expect(store.records.get('pay-1')?.token).toBeUndefined();
    });
  });

  describe('Method: refundPayment', () => {
    it('pays a captured payment back, once, and answers the same when asked again', async () => {
      // Prepare
      const { psp } = setup();
      await psp.authorize('pay-1', body('tok_ok'));

      // Act
      const first = await psp.refundPayment('pay-1');
      const again = await psp.refundPayment('pay-1');

      // Assess
      expect(first).toEqual(again);
      expect(first).toMatchObject({
        statusCode: 200,
        body: {
          status: 'REFUNDED',
          money: {
            currency: 'EUR',
            authorizedMinor: 0,
            capturedMinor: 0,
            voidedMinor: 0,
            refundedMinor: 9997,
          },
        },
      });
    });

    it('refunds a tok_late payment that settled after its time', async () => {
      // Prepare
      const { psp, advance } = setup({ lateSettleMs: 60_000 });
      await psp.authorize('pay-1', body('tok_late'));
      advance(60_000);

      // Act
      const response = await psp.refundPayment('pay-1');

      // Assess
      expect(response).toMatchObject({ statusCode: 200, body: { status: 'REFUNDED' } });
    });

    it('refuses to refund a pending payment with 409 and an unknown one with 404, writing nothing', async () => {
      // Prepare
      const { psp, store } = setup();
      await psp.authorize('pay-1', body('tok_pending'));

      // Act
      const pending = await psp.refundPayment('pay-1');
      const unknown = await psp.refundPayment('pay-2');

      // Assess
      expect(pending).toMatchObject({ statusCode: 409, body: { error: { code: 'NOT_CAPTURED' } } });
      expect(unknown).toMatchObject({ statusCode: 404, body: { error: { code: 'NOT_FOUND' } } });
      expect(store.records.get('pay-1')?.status).toBe('PENDING');
      expect(store.records.has('pay-2')).toBe(false);
    });

    it('refuses to refund a voided payment', async () => {
      // Prepare
      const { psp } = setup();
      await psp.authorize('pay-1', body('tok_pending'));
      await psp.voidPayment('pay-1');

      // Act
      const response = await psp.refundPayment('pay-1');

      // Assess
      expect(response).toMatchObject({ statusCode: 409, body: { error: { code: 'NOT_REFUNDABLE' } } });
    });
  });
});
