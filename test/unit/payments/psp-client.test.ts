import '#test/unit/setup-env';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PspCircuitOpenError, PspTransientError } from '#functions/payments/provider';
import { pspClientOf } from '#functions/payments/psp-client';

describe('Function: pspClientOf', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('opens the PSP circuit after the configured failures and says so once', async () => {
    // Prepare
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('{}', { status: 503 }));
    const onOpened = vi.fn();
    const secretIds: string[] = [];
    const client = pspClientOf(
      {
        PSP_BASE_URL: 'https://psp.test/psp',
        PSP_API_KEY_SECRET: 'psp-api-key',
        PSP_CIRCUIT_FAILURES: 2,
        PSP_CIRCUIT_OPEN_SECONDS: 30,
      },
      onOpened,
      {
        text: async (secretId: string) => {
          secretIds.push(secretId);
          return 'the-key';
        },
      },
    );

    // Act
    const calls = [];
    for (let i = 0; i < 3; i++)
      calls.push(await client.getStatus('pay-1', { timeoutMs: 50 }).catch((e) => e));

    // Assess
    expect(calls.map((error) => error.constructor)).toEqual([
      PspTransientError,
      PspTransientError,
      PspCircuitOpenError,
    ]);
    expect(fetchSpy).toHaveBeenCalledTimes(2);
    expect(fetchSpy.mock.calls[0]?.[1]?.headers).toMatchObject({ 'x-api-key': 'the-key' });
    expect(secretIds).toEqual(['psp-api-key', 'psp-api-key']);
    expect(onOpened).toHaveBeenCalledTimes(1);
  });
});
