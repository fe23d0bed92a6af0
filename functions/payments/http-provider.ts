import {
  type AuthorizationRequest,
  type AuthorizationResult,
  type AuthorizationStatus,
  type CallOptions,
  type PaymentProvider,
  type PaymentStatusResult,
  PspRejectedError,
  PspTransientError,
} from './provider';

const STATUSES: readonly AuthorizationStatus[] = ['SUCCEEDED', 'DECLINED', 'INSUFFICIENT_FUNDS', 'PENDING'];

type Fetch = typeof fetch;

/**
 * `PaymentProvider` over HTTP: `POST {base}/payments` with an `Idempotency-Key` header and
 * `GET {base}/payments/{paymentId}`, JSON both ways, each request bounded by an AbortSignal timeout.
 */
export class HttpPaymentProvider implements PaymentProvider {
  private readonly baseUrl: string;

  private readonly fetchImpl: Fetch;

  /** `fetchImpl` defaults to the global `fetch`, looked up at each call. */
  constructor(baseUrl: string, fetchImpl?: Fetch) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchImpl = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  async authorize(request: AuthorizationRequest, options: CallOptions): Promise<AuthorizationResult> {
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
      `${this.baseUrl}/payments/${encodeURIComponent(paymentId)}`,
      { method: 'GET', headers: { accept: 'application/json' } },
      options.timeoutMs,
    );
    return body === undefined ? { status: 'NOT_FOUND' } : readResult(body);
  }

  /** The parsed JSON body of a 2xx answer, `undefined` for a 404; throws the port's errors otherwise. */
  private async call(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `timed out after ${timeoutMs} ms`
          : 'failed';
      throw new PspTransientError(`PSP request ${init.method} ${url} ${reason}`, { cause: error });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new PspTransientError(`PSP response to ${init.method} ${url} could not be read`, {
        cause: error,
      });
    }
    if (response.status === 404) return undefined;
    if (response.status >= 500 || response.status === 429) {
      throw new PspTransientError(`PSP answered ${response.status} to ${init.method} ${url}`);
    }
    if (response.status >= 400) {
      throw new PspRejectedError(
        `PSP rejected ${init.method} ${url} with ${response.status}`,
        response.status,
      );
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

function readResult(body: unknown): AuthorizationResult {
  const { status, pspReference } = (body ?? {}) as { status?: unknown; pspReference?: unknown };
  if (typeof status !== 'string' || !STATUSES.includes(status as AuthorizationStatus)) {
    throw new PspTransientError(`PSP answered an unknown payment status ${JSON.stringify(status)}`);
  }
  if (typeof pspReference !== 'string' || pspReference === '') {
    throw new PspTransientError('PSP answered without a pspReference');
  }
  return { status: status as AuthorizationStatus, pspReference };
}
