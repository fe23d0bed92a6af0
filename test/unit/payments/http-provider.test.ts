import { describe, expect, it, vi } from 'vitest';
import { HttpPaymentProvider } from '#functions/payments/http-provider';
import { PspRejectedError, PspTransientError } from '#functions/payments/provider';

const request = {
  paymentId: 'pay-1',
  amount: { amountMinor: 100, currency: 'EUR' },
  token: 'tok_ok',
  splits: [{ sellerId: 's', amount: { amountMinor: 100, currency: 'EUR' } }],
};
const options = { idempotencyKey: 'pay-1', timeoutMs: 50 };

const respond = (status: number, body: unknown) =>
  vi.fn(
    async (_url: string | URL | Request, _init?: RequestInit) =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }),
  );

describe('Class: HttpPaymentProvider', () => {
  it('posts the authorization with the Idempotency-Key header and a timeout signal', async () => {
    // Prepare
    const fetchImpl = respond(201, { paymentId: 'pay-1', status: 'PENDING', pspReference: 'psp_1' });
    const provider = new HttpPaymentProvider('https://psp.example/v1/psp/', fetchImpl as typeof fetch);

    // Act
    const result = await provider.authorize(request, options);

    // Assess
    expect(result).toEqual({ status: 'PENDING', pspReference: 'psp_1' });
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe('https://psp.example/v1/psp/payments');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toMatchObject({ 'idempotency-key': 'pay-1', 'content-type': 'application/json' });
    expect(JSON.parse(String(init?.body))).toEqual(request);
    expect(init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('maps 5xx and 429 to transient errors and other 4xx to rejections', async () => {
    // Prepare
    const unavailable = new HttpPaymentProvider('https://psp', respond(503, {}) as typeof fetch);
    const throttled = new HttpPaymentProvider('https://psp', respond(429, {}) as typeof fetch);
    const conflict = new HttpPaymentProvider('https://psp', respond(409, {}) as typeof fetch);

    // Act
    const results = await Promise.allSettled([
      unavailable.authorize(request, options),
      throttled.authorize(request, options),
      conflict.authorize(request, options),
    ]);

    // Assess
    expect(results.map((r) => r.status === 'rejected' && r.reason.constructor)).toEqual([
      PspTransientError,
      PspTransientError,
      PspRejectedError,
    ]);
  });

  it('turns a timeout into a transient error', async () => {
    // Prepare
    const hanging = vi.fn(
      (_url: string | URL | Request, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const provider = new HttpPaymentProvider('https://psp', hanging as typeof fetch);

    // Act
    const attempt = provider.authorize(request, { ...options, timeoutMs: 5 });

    // Assess
    await expect(attempt).rejects.toThrow(/timed out after 5 ms/);
  });

  it('reads a status and reports NOT_FOUND for a 404', async () => {
    // Prepare
    const found = respond(200, { paymentId: 'pay-1', status: 'SUCCEEDED', pspReference: 'psp_9' });
    const missing = respond(404, { error: 'not found' });

    // Act
    const status = await new HttpPaymentProvider('https://psp', found as typeof fetch).getStatus('pay 1', {
      timeoutMs: 50,
    });
    const none = await new HttpPaymentProvider('https://psp', missing as typeof fetch).getStatus('pay-1', {
      timeoutMs: 50,
    });

    // Assess
    expect(status).toEqual({ status: 'SUCCEEDED', pspReference: 'psp_9' });
    expect(found.mock.calls[0]?.[0]).toBe('https://psp/payments/pay%201');
    expect(none).toEqual({ status: 'NOT_FOUND' });
  });

  it('treats an unknown status or a non-JSON body as transient', async () => {
    // Prepare
    const odd = new HttpPaymentProvider(
      'https://psp',
      respond(200, { status: 'MAYBE', pspReference: 'x' }) as typeof fetch,
    );
    const garbled = new HttpPaymentProvider('https://psp', respond(200, '<html>') as typeof fetch);

    // Act
    const results = await Promise.allSettled([
      odd.getStatus('p', { timeoutMs: 50 }),
      garbled.getStatus('p', { timeoutMs: 50 }),
    ]);

    // Assess
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof PspTransientError)).toBe(true);
  });
});
