import { describe, expect, it, vi } from 'vitest';
import { HttpPaymentProvider } from '#functions/payments/http-provider';
import {
  PspConflictError,
  PspCredentialsError,
  PspRejectedError,
  PspTransientError,
} from '#functions/payments/provider';

const request = {
  paymentId: 'pay-1',
  amount: { amountMinor: 100, currency: 'EUR' },
  token: 'tok_ok',
  splits: [{ sellerId: 's', amount: { amountMinor: 100, currency: 'EUR' } }],
};
const options = { idempotencyKey: 'pay-1', timeoutMs: 50 };
const API_KEY = 'psp-key-0123456789';
const KEY = async () => API_KEY;

const respond = (status: number, body: unknown) =>
  vi.fn(
    async (_url: string | URL | Request, _init?: RequestInit) =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), { status }),
  );

describe('Class: HttpPaymentProvider', () => {
  it('posts the authorization with the Idempotency-Key header and a timeout signal', async () => {
    // Prepare
    const fetchImpl = respond(201, { paymentId: 'pay-1', status: 'PENDING', pspReference: 'psp_1' });
    const provider = new HttpPaymentProvider('https://psp.example/v1/psp/', KEY, fetchImpl as typeof fetch);

    // Act
    const result = await provider.authorize(request, options);

    // Assess
    expect(result).toEqual({ status: 'PENDING', pspReference: 'psp_1' });
    const [url, init] = fetchImpl.mock.calls[0] ?? [];
    expect(url).toBe('https://psp.example/v1/psp/payments');
    expect(init?.method).toBe('POST');
    expect(init?.headers).toMatchObject({
      'idempotency-key': 'pay-1',
      'content-type': 'application/json',
      'x-api-key': API_KEY,
    });
    expect(JSON.parse(String(init?.body))).toEqual(request);
    expect(init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('maps 5xx and 429 to transient errors and a bad request to a rejection', async () => {
    // Prepare
    const unavailable = new HttpPaymentProvider('https://psp', KEY, respond(503, {}) as typeof fetch);
    const throttled = new HttpPaymentProvider('https://psp', KEY, respond(429, {}) as typeof fetch);
    const invalid = new HttpPaymentProvider('https://psp', KEY, respond(400, {}) as typeof fetch);

    // Act
    const results = await Promise.allSettled([
      unavailable.authorize(request, options),
      throttled.authorize(request, options),
      invalid.authorize(request, options),
    ]);

    // Assess
    expect(results.map((r) => r.status === 'rejected' && r.reason.constructor)).toEqual([
      PspTransientError,
      PspTransientError,
      PspRejectedError,
    ]);
  });

  it('does not take 401, 403, 408 or 409 for a refusal of the payment', async () => {
    // Prepare
    const answering = (status: number) =>
      new HttpPaymentProvider('https://psp', KEY, respond(status, { error: {} }) as typeof fetch);

    // Act
    const results = await Promise.allSettled(
      [401, 403, 408, 409, 400, 422].map((status) => answering(status).authorize(request, options)),
    );

    // Assess
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
    expect(reasons.map((reason) => reason?.constructor)).toEqual([
      PspCredentialsError,
      PspCredentialsError,
      PspTransientError,
      PspConflictError,
      PspRejectedError,
      PspRejectedError,
    ]);
    expect(reasons.slice(0, 4).every((reason) => reason instanceof PspTransientError)).toBe(true);
    expect(reasons[2]?.timedOut).toBe(true);
    expect(reasons.map((reason) => reason?.retryInCall)).toEqual([
      false,
      false,
      true,
      false,
      undefined,
      undefined,
    ]);
  });

  it('classifies the answers of status, void and refund calls the same way', async () => {
    // Prepare
    const provider = (status: number) =>
      new HttpPaymentProvider('https://psp', KEY, respond(status, {}) as typeof fetch);

    // Act
    const results = await Promise.allSettled([
      provider(401).getStatus('pay-1', { timeoutMs: 50 }),
      provider(409).void('pay-1', { timeoutMs: 50 }),
      provider(403).refund('pay-1', { timeoutMs: 50 }),
      provider(400).void('pay-1', { timeoutMs: 50 }),
    ]);

    // Assess
    expect(results.map((r) => r.status === 'rejected' && r.reason.constructor)).toEqual([
      PspCredentialsError,
      PspConflictError,
      PspCredentialsError,
      PspRejectedError,
    ]);
  });

  it('voids and refunds with a POST per payment and reads the released state', async () => {
    // Prepare
    const voided = respond(200, { paymentId: 'pay 1', status: 'VOIDED', pspReference: 'psp_1' });
    const refunded = respond(200, { paymentId: 'pay-1', status: 'REFUNDED', pspReference: 'psp_2' });
    const unknown = respond(404, { error: { code: 'NOT_FOUND' } });

    // Act
    const afterVoid = await new HttpPaymentProvider('https://psp/', KEY, voided as typeof fetch).void(
      'pay 1',
      {
        timeoutMs: 50,
      },
    );
    const afterRefund = await new HttpPaymentProvider('https://psp', KEY, refunded as typeof fetch).refund(
      'pay-1',
      { timeoutMs: 50 },
    );
    const none = await new HttpPaymentProvider('https://psp', KEY, unknown as typeof fetch).void('pay-2', {
      timeoutMs: 50,
    });

    // Assess
    expect(afterVoid).toEqual({ status: 'VOIDED', pspReference: 'psp_1' });
    expect(afterRefund).toEqual({ status: 'REFUNDED', pspReference: 'psp_2' });
    expect(none).toEqual({ status: 'NOT_FOUND' });
    const [voidUrl, voidInit] = voided.mock.calls[0] ?? [];
    expect(voidUrl).toBe('https://psp/payments/pay%201/void');
    expect(voidInit?.method).toBe('POST');
    expect(voidInit?.headers).toMatchObject({ 'idempotency-key': 'pay 1-void' });
    expect(voidInit?.signal).toBeInstanceOf(AbortSignal);
    expect(refunded.mock.calls[0]?.[0]).toBe('https://psp/payments/pay-1/refund');
    expect(refunded.mock.calls[0]?.[1]?.headers).toMatchObject({ 'idempotency-key': 'pay-1-refund' });
  });

  it('turns a timeout into a transient error', async () => {
    // Prepare
    const hanging = vi.fn(
      (_url: string | URL | Request, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const provider = new HttpPaymentProvider('https://psp', KEY, hanging as typeof fetch);

    // Act
    const attempt = provider.authorize(request, { ...options, timeoutMs: 5 });

    // Assess
    await expect(attempt).rejects.toThrow(/timed out after 5 ms/);
    await expect(attempt).rejects.toMatchObject({ timedOut: true });
  });

  it('reads a status and reports NOT_FOUND for a 404', async () => {
    // Prepare
    const found = respond(200, { paymentId: 'pay-1', status: 'SUCCEEDED', pspReference: 'psp_9' });
    const missing = respond(404, { error: 'not found' });

    // Act
    const status = await new HttpPaymentProvider('https://psp', KEY, found as typeof fetch).getStatus(
      'pay 1',
      {
        timeoutMs: 50,
      },
    );
    const none = await new HttpPaymentProvider('https://psp', KEY, missing as typeof fetch).getStatus(
      'pay-1',
      {
        timeoutMs: 50,
      },
    );

    // Assess
    expect(status).toEqual({ status: 'SUCCEEDED', pspReference: 'psp_9' });
    expect(found.mock.calls[0]?.[0]).toBe('https://psp/payments/pay%201');
    expect(none).toEqual({ status: 'NOT_FOUND' });
  });

  it('treats an unknown status or a non-JSON body as transient', async () => {
    // Prepare
    const odd = new HttpPaymentProvider(
      'https://psp',
      KEY,
      respond(200, { status: 'MAYBE', pspReference: 'x' }) as typeof fetch,
    );
    const garbled = new HttpPaymentProvider('https://psp', KEY, respond(200, '<html>') as typeof fetch);

    // Act
    const results = await Promise.allSettled([
      odd.getStatus('p', { timeoutMs: 50 }),
      garbled.getStatus('p', { timeoutMs: 50 }),
    ]);

    // Assess
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof PspTransientError)).toBe(true);
  });

  it('sends the API key on status reads too', async () => {
    // Prepare
    const fetchImpl = respond(200, { paymentId: 'pay-1', status: 'SUCCEEDED', pspReference: 'psp_9' });
    const provider = new HttpPaymentProvider('https://psp', KEY, fetchImpl as typeof fetch);

    // Act
    await provider.getStatus('pay-1', { timeoutMs: 50 });

    // Assess
    expect(fetchImpl.mock.calls[0]?.[1]?.headers).toMatchObject({ 'x-api-key': API_KEY });
  });

  it('reads a refused key again once and repeats the call with the new key', async () => {
    // Prepare
    const keys = vi.fn(async ({ refresh }: { refresh: boolean }) => (refresh ? 'rotated-key' : 'old-key'));
    const fetchImpl = vi
      .fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response('{}', { status: 401 }))
      .mockImplementationOnce(async () => new Response('{}', { status: 401 }))
      .mockImplementationOnce(
        async () =>
          new Response(JSON.stringify({ status: 'SUCCEEDED', pspReference: 'psp_2' }), { status: 201 }),
      );
    const provider = new HttpPaymentProvider('https://psp', keys, fetchImpl as typeof fetch);

    // Act
    const result = await provider.authorize(request, options);

    // Assess
    expect(result).toEqual({ status: 'SUCCEEDED', pspReference: 'psp_2' });
    expect(keys.mock.calls).toEqual([[{ refresh: false }], [{ refresh: true }]]);
    expect(
      fetchImpl.mock.calls.map(
        (call) => (call[1]?.headers as Record<string, string> | undefined)?.['x-api-key'],
      ),
    ).toEqual(['old-key', 'rotated-key']);
  });

  it('reports a key the PSP keeps refusing as rejected credentials (transient), after one fresh read', async () => {
    // Prepare
    const fetchImpl = respond(403, { error: { code: 'FORBIDDEN' } });
    const provider = new HttpPaymentProvider('https://psp', KEY, fetchImpl as typeof fetch);

    // Act
    const attempt = provider.authorize(request, options);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PspCredentialsError);
    expect(fetchImpl).toHaveBeenCalledTimes(2);
  });

  it('reports a key that cannot be read as rejected credentials, without calling the PSP', async () => {
    // Prepare
    const fetchImpl = respond(201, {});
    const provider = new HttpPaymentProvider(
      'https://psp',
      async () => {
        throw new Error('AccessDenied');
      },
      fetchImpl as typeof fetch,
    );

    // Act
    const attempt = provider.authorize(request, options);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PspCredentialsError);
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});
