import {
  type AuthorizationRequest,
  type CallOptions,
  type PaymentProvider,
  type PaymentStatusResult,
  PspConflictError,
  PspCredentialsError,
  type PspPayment,
  type PspPaymentStatus,
  PspRejectedError,
  PspTransientError,
} from './provider';

const STATUSES: readonly PspPaymentStatus[] = [
  'SUCCEEDED',
  'DECLINED',
  'INSUFFICIENT_FUNDS',
  'PENDING',
  'VOIDED',
  'REFUNDED',
];

type Fetch = typeof fetch;

/** The header that carries the PSP API key on every call. */
export const API_KEY_HEADER = 'x-api-key';

/** The PSP's API key; `refresh` reads it again from its store (after the PSP refused it). */
export type ApiKeySource = (options: { refresh: boolean }) => Promise<string>;

/**
 * `PaymentProvider` over HTTP, JSON both ways, each request bounded by an AbortSignal timeout:
 * `POST {base}/payments` (header `Idempotency-Key` = paymentId), `GET {base}/payments/{paymentId}`,
 * `POST {base}/payments/{paymentId}/void` and `/refund` (idempotency keys `<paymentId>-void` and
 * `<paymentId>-refund`).
 *
 * Every call carries the PSP's API key (`X-Api-Key`, from `apiKey`). A 401 or 403 reads the key
 * again once (it may have been rotated) and repeats the call.
 *
 * Answers: 2xx is the payment; 404 is NOT_FOUND (a transient error for an authorization); 401 and 403
 * are rejected credentials, 408 a timeout, 409 a conflict, 429 and 5xx unavailability, all transient
 * (`PspTransientError` and its subclasses), since none of them says anything final about the payment;
 * any other 4xx is a `PspRejectedError`.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly baseUrl: string;

  private readonly fetchImpl: Fetch;

  /** `fetchImpl` defaults to the global `fetch`, looked up at each call. */
  constructor(
    baseUrl: string,
    private readonly apiKey: ApiKeySource,
    fetchImpl?: Fetch,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchImpl = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  async authorize(request: AuthorizationRequest, options: CallOptions): Promise<PspPayment> {
    const body = await this.call(
      `${this.baseUrl}/payments`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': options.idempotencyKey },
        body: JSON.stringify(request),
      },
      options.timeoutMs,
    );
    if (body === undefined) throw new PspTransientError('The PSP answered 404 to an authorization');
    return readResult(body);
  }

  async getStatus(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult> {
    const body = await this.call(
      this.paymentUrl(paymentId),
      { method: 'GET', headers: { accept: 'application/json' } },
      options.timeoutMs,
    );
    return body === undefined ? { status: 'NOT_FOUND' } : readResult(body);
  }

  void(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult> {
    return this.release(paymentId, 'void', options.timeoutMs);
  }

  refund(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult> {
    return this.release(paymentId, 'refund', options.timeoutMs);
  }

  private async release(
    paymentId: string,
    action: 'void' | 'refund',
    timeoutMs: number,
  ): Promise<PaymentStatusResult> {
    const body = await this.call(
      `${this.paymentUrl(paymentId)}/${action}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${paymentId}-${action}` },
        body: '{}',
      },
      timeoutMs,
    );
    return body === undefined ? { status: 'NOT_FOUND' } : readResult(body);
  }

  private paymentUrl(paymentId: string): string {
    return `${this.baseUrl}/payments/${encodeURIComponent(paymentId)}`;
  }

  /** The parsed JSON body of a 2xx answer, `undefined` for a 404; throws the port's errors otherwise. */
  private async call(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
    let response = await this.send(url, init, timeoutMs, false);
    if (response.status === 401 || response.status === 403) {
      // The key may have been rotated since it was read: read it again once.
      await response.text().catch(() => undefined);
      response = await this.send(url, init, timeoutMs, true);
    }
    return this.read(url, init, response);
  }

  private async send(
    url: string,
    init: RequestInit,
    timeoutMs: number,
    refreshKey: boolean,
  ): Promise<Response> {
    let key: string;
    try {
      key = await this.apiKey({ refresh: refreshKey });
    } catch (error) {
      throw new PspCredentialsError('The PSP API key could not be read', { cause: error });
    }
    try {
      return await this.fetchImpl(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), [API_KEY_HEADER]: key },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const reason = timedOut ? `timed out after ${timeoutMs} ms` : 'failed';
      throw new PspTransientError(`PSP request ${init.method} ${url} ${reason}`, { cause: error, timedOut });
    }
  }

  private async read(url: string, init: RequestInit, response: Response): Promise<unknown> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new PspTransientError(`PSP response to ${init.method} ${url} could not be read`, {
        cause: error,
      });
    }
    const { status } = response;
    const answered = `PSP answered ${status} to ${init.method} ${url}`;
    if (status === 404) return undefined;
    if (status === 401 || status === 403) {
      throw new PspCredentialsError(`${answered}: the credentials were refused`);
    }
    if (status === 408) throw new PspTransientError(answered, { timedOut: true });
    if (status === 409) throw new PspConflictError(answered);
    if (status >= 500 || status === 429) throw new PspTransientError(answered);
    if (status >= 400) {
      throw new PspRejectedError(`PSP rejected ${init.method} ${url} with ${status}`, status);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new PspTransientError(`PSP answered ${init.method} ${url} with a body that is not JSON`, {
        cause: error,
      });
    }
  }
}

function readResult(body: unknown): PspPayment {
  const { status, pspReference } = (body ?? {}) as { status?: unknown; pspReference?: unknown };
  if (typeof status !== 'string' || !STATUSES.includes(status as PspPaymentStatus)) {
    throw new PspTransientError(`PSP answered an unknown payment status ${JSON.stringify(status)}`);
  }
  if (typeof pspReference !== 'string' || pspReference === '') {
    throw new PspTransientError('PSP answered without a pspReference');
  }
  return { status: status as PspPaymentStatus, pspReference };
}
