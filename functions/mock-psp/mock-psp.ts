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
}

/** The mock PSP's settings from its parsed environment (see `MOCK_PSP_SETTINGS`). */
export function mockPspSettingsOf(env: {
  readonly PSP_TIMEOUT_DELAY_MS: number;
  readonly PSP_SLOW_DELAY_MS: number;
  readonly PSP_FAULT_RATE_5XX: number;
  readonly PSP_FAULT_RATE_TIMEOUT: number;
}): MockPspSettings {
  return {
    timeoutDelayMs: env.PSP_TIMEOUT_DELAY_MS,
    slowDelayMs: env.PSP_SLOW_DELAY_MS,
    faultRate5xx: env.PSP_FAULT_RATE_5XX,
    faultRateTimeout: env.PSP_FAULT_RATE_TIMEOUT,
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

const view = (record: PspPaymentRecord, status: PspStatus | undefined = record.status) => ({
  paymentId: record.paymentId,
  status,
  pspReference: record.pspReference,
  amount: record.amount,
});

const sameRequest = (record: PspPaymentRecord, body: AuthorizationBody) =>
  record.token === body.token &&
  record.amount?.amountMinor === body.amount.amountMinor &&
  record.amount?.currency === body.amount.currency;

/**
 * A payment service provider for tests and demos. Test tokens decide the outcome (see `TEST_TOKENS`);
 * the `Idempotency-Key` (the paymentId) makes a repeated authorization return the recorded outcome and
 * never charge twice; a key reused with another token or amount is a 409. Fault rates inject 503s and
 * late answers at random.
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
          ...(behaviour.resolvesTo
            ? { resolvesTo: behaviour.resolvesTo, resolvesOnCheck: behaviour.resolvesOnCheck ?? 1 }
            : {}),
        },
        now,
      ));
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
    const record = await this.deps.store.get(paymentId);
    if (!record?.status) return error(404, 'NOT_FOUND', `No payment ${paymentId}`);
    if (record.status !== 'PENDING' || !record.resolvesTo) return { statusCode: 200, body: view(record) };
    const now = this.clock();
    const checked = await this.deps.store.countCheck(paymentId, now);
    if ((checked.statusChecks ?? 0) >= (checked.resolvesOnCheck ?? 1)) {
      await this.deps.store.resolve(paymentId, record.resolvesTo, now);
      return { statusCode: 200, body: view(checked, record.resolvesTo) };
    }
    return { statusCode: 200, body: view(checked) };
  }
}
