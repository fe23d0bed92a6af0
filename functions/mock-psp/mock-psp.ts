import { sleep } from '#platform/backoff';
import type { AuthorizationBody, PspPaymentRecord, PspStatus } from './model';
import { behaviourOf } from './model';
import type { PspStore } from './store';

export interface MockPspSettings {
  /** Delay of answers meant to exceed the caller's timeout (`tok_timeout`, timeout faults). */
  timeoutDelayMs: number;
  /** Delay of `tok_slow`. */
  slowDelayMs: number;
  /** Share of authorization calls answered 503 before anything is recorded (0..1). */
  faultRate5xx: number;
  /** Share of authorization calls recorded, then answered too late for the caller (0..1). */
  faultRateTimeout: number;
  /** How long after its authorization a `tok_late` payment settles (SUCCEEDED) if nothing voids it first. */
  lateSettleMs: number;
}

/** The mock PSP's settings from its parsed environment (see `MOCK_PSP_SETTINGS`). */
export function mockPspSettingsOf(env: {
  readonly PSP_TIMEOUT_DELAY_MS: number;
  readonly PSP_SLOW_DELAY_MS: number;
  readonly PSP_FAULT_RATE_5XX: number;
  readonly PSP_FAULT_RATE_TIMEOUT: number;
  readonly PSP_LATE_SETTLE_MS: number;
}): MockPspSettings {
  return {
    timeoutDelayMs: env.PSP_TIMEOUT_DELAY_MS,
    slowDelayMs: env.PSP_SLOW_DELAY_MS,
    faultRate5xx: env.PSP_FAULT_RATE_5XX,
    faultRateTimeout: env.PSP_FAULT_RATE_TIMEOUT,
    lateSettleMs: env.PSP_LATE_SETTLE_MS,
  };
}

export interface MockPspDeps {
  store: PspStore;
  settings: MockPspSettings;
  clock?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  newReference?: () => string;
}

/** An HTTP answer of the mock PSP. */
export interface PspResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

const error = (statusCode: number, code: string, message: string): PspResponse => ({
  statusCode,
  body: { error: { code, message } },
});

/**
 * The money of a payment by state, in minor units: `authorizedMinor` is held but not captured
 * (PENDING), `capturedMinor` is charged (SUCCEEDED), `voidedMinor` and `refundedMinor` were given back.
 * A payment holds money at the PSP while `authorizedMinor + capturedMinor > 0`.
 */
export function moneyOf(record: PspPaymentRecord) {
  const amount = record.amount?.amountMinor ?? 0;
  const when = (status: PspStatus) => (record.status === status ? amount : 0);
  return {
    currency: record.amount?.currency ?? null,
    authorizedMinor: when('PENDING'),
    capturedMinor: when('SUCCEEDED'),
    voidedMinor: when('VOIDED'),
    refundedMinor: when('REFUNDED'),
  };
}

const view = (record: PspPaymentRecord) => ({
  paymentId: record.paymentId,
  status: record.status,
  pspReference: record.pspReference,
  amount: record.amount,
  money: moneyOf(record),
});

/** Concurrent changes of one payment a void or refund reads past before it gives up. */
const MAX_RELEASE_ROUNDS = 3;

const sameRequest = (record: PspPaymentRecord, body: AuthorizationBody) =>
  record.token === body.token &&
  record.amount?.amountMinor === body.amount.amountMinor &&
  record.amount?.currency === body.amount.currency;

/**
 * A payment service provider for tests and demos. Test tokens decide the outcome (see `TEST_TOKENS`);
 * the `Idempotency-Key` (the paymentId) makes a repeated authorization return the recorded outcome and
 * never charge twice; a key reused with another token or amount is a 409. Fault rates inject 503s and
 * late answers at random.
 *
 * Success captures at once. A void releases a PENDING authorization (VOIDED); a void of a payment the
 * PSP never accepted records it VOIDED without an amount, so an authorization arriving later is refused
 * (409). A refund pays a SUCCEEDED payment back (REFUNDED). Both are idempotent (the released state is
 * answered again) and answer 409 for a state they do not apply to (a void of a captured payment, a
 * refund of a pending one); a refund of an unknown payment is a 404.
 */
export class MockPsp {
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly newReference: () => string;

  constructor(private readonly deps: MockPspDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? sleep;
    this.newReference =
      deps.newReference ?? (() => `psp_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`);
  }

  /** POST /psp/payments */
  async authorize(idempotencyKey: string | undefined, body: AuthorizationBody): Promise<PspResponse> {
    if (!idempotencyKey)
      return error(400, 'MISSING_IDEMPOTENCY_KEY', 'The Idempotency-Key header is required');
    if (idempotencyKey !== body.paymentId) {
      return error(400, 'IDEMPOTENCY_KEY_MISMATCH', 'The Idempotency-Key must be the paymentId');
    }
    const { settings } = this.deps;
    if (this.random() < settings.faultRate5xx) {
      return error(503, 'SERVICE_UNAVAILABLE', 'Injected fault: try again');
    }
    const now = this.clock();
    const behaviour = behaviourOf(body.token);
    const counted = await this.deps.store.countCall(body.paymentId, now);

    let record = counted;
    let created = false;
    if (counted.status === undefined) {
      if (behaviour.failFirstCalls !== undefined && counted.calls <= behaviour.failFirstCalls) {
        return error(503, 'SERVICE_UNAVAILABLE', 'Temporarily unavailable: try again');
      }
      ({ record, created } = await this.deps.store.accept(
        {
          paymentId: body.paymentId,
          status: behaviour.status,
          token: body.token,
          amount: body.amount,
          splits: body.splits,
          pspReference: this.newReference(),
          ...(behaviour.resolvesTo ? { resolvesTo: behaviour.resolvesTo } : {}),
          ...(behaviour.resolvesTo && behaviour.resolvesAfter === 'late'
            ? { resolvesAt: new Date(now.getTime() + settings.lateSettleMs).toISOString() }
            : {}),
          ...(behaviour.resolvesTo && behaviour.resolvesAfter === undefined
            ? { resolvesOnCheck: behaviour.resolvesOnCheck ?? 1 }
            : {}),
        },
        now,
      ));
    }
    if (record.status === 'VOIDED' && record.token === undefined) {
      return error(409, 'PAYMENT_VOIDED', 'This payment was voided before its authorization arrived');
    }
    if (!sameRequest(record, body)) {
      return error(
        409,
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used for another payment request',
      );
    }

    if (behaviour.delay === 'timeout' || this.random() < settings.faultRateTimeout) {
      await this.sleep(settings.timeoutDelayMs);
    } else if (behaviour.delay === 'slow') {
      await this.sleep(settings.slowDelayMs);
    }
    return { statusCode: created ? 201 : 200, body: view(record) };
  }

  /** GET /psp/payments/{paymentId} */
  async getPayment(paymentId: string): Promise<PspResponse> {
    const now = this.clock();
    const record = await this.current(paymentId, now);
    if (!record?.status) return error(404, 'NOT_FOUND', `No payment ${paymentId}`);
    if (record.status !== 'PENDING' || !record.resolvesTo || record.resolvesAt) {
      return { statusCode: 200, body: view(record) };
    }
    const checked = await this.deps.store.countCheck(paymentId, now);
    if ((checked.statusChecks ?? 0) >= (checked.resolvesOnCheck ?? 1)) {
      await this.deps.store.transition(paymentId, 'PENDING', record.resolvesTo, now);
      return { statusCode: 200, body: view({ ...checked, status: record.resolvesTo }) };
    }
    return { statusCode: 200, body: view(checked) };
  }

  /** POST /psp/payments/{paymentId}/void: releases a PENDING authorization. */
  async voidPayment(paymentId: string): Promise<PspResponse> {
    for (let round = 0; round < MAX_RELEASE_ROUNDS; round++) {
      const now = this.clock();
      const record = await this.current(paymentId, now);
      if (!record?.status) {
        const { record: voided } = await this.deps.store.voidUnaccepted(paymentId, this.newReference(), now);
        if (voided.status === 'VOIDED') return { statusCode: 200, body: view(voided) };
        continue;
      }
      switch (record.status) {
        case 'VOIDED':
          return { statusCode: 200, body: view(record) };
        case 'PENDING':
          if (await this.deps.store.transition(paymentId, 'PENDING', 'VOIDED', now)) {
            return { statusCode: 200, body: view({ ...record, status: 'VOIDED' }) };
          }
          continue;
        case 'SUCCEEDED':
          return error(409, 'ALREADY_CAPTURED', 'The payment is captured: refund it instead');
        default:
          return error(409, 'NOT_VOIDABLE', `A ${record.status} payment holds nothing to void`);
      }
    }
    return error(409, 'CONCURRENT_CHANGE', 'The payment changed while it was being voided; try again');
  }

  /** POST /psp/payments/{paymentId}/refund: pays a SUCCEEDED payment back. */
  async refundPayment(paymentId: string): Promise<PspResponse> {
    for (let round = 0; round < MAX_RELEASE_ROUNDS; round++) {
      const now = this.clock();
      const record = await this.current(paymentId, now);
      if (!record?.status) return error(404, 'NOT_FOUND', `No payment ${paymentId}`);
      switch (record.status) {
        case 'REFUNDED':
          return { statusCode: 200, body: view(record) };
        case 'SUCCEEDED':
          if (await this.deps.store.transition(paymentId, 'SUCCEEDED', 'REFUNDED', now)) {
            return { statusCode: 200, body: view({ ...record, status: 'REFUNDED' }) };
          }
          continue;
        case 'PENDING':
          return error(409, 'NOT_CAPTURED', 'The payment is not captured: void it instead');
        default:
          return error(409, 'NOT_REFUNDABLE', `A ${record.status} payment holds nothing to refund`);
      }
    }
    return error(409, 'CONCURRENT_CHANGE', 'The payment changed while it was being refunded; try again');
  }

  /** The payment as of `now`: a PENDING one whose settle time has come is settled first. */
  private async current(paymentId: string, now: Date): Promise<PspPaymentRecord | undefined> {
    const record = await this.deps.store.get(paymentId);
    if (
      record?.status !== 'PENDING' ||
      !record.resolvesTo ||
      !record.resolvesAt ||
      Date.parse(record.resolvesAt) > now.getTime()
    ) {
      return record;
    }
    await this.deps.store.transition(paymentId, 'PENDING', record.resolvesTo, now);
    return this.deps.store.get(paymentId);
  }
}
