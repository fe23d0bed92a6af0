import './env';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler, InvalidTaskInputError } from '#functions/payments/handlers/check-status';
import { logger } from '#platform/powertools';
import { lambdaContext } from '#test/helpers/fixtures';
import { outboxEventOf } from '../helpers';

const doc = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
const PSP_API_KEY = 'psp-key-for-tests';
const NOW = Date.parse('2025-03-01T12:00:10.000Z');

const payment = {
  pk: 'PAYMENT#pay-1',
  sk: 'PAYMENT',
  entity: 'PAYMENT',
  paymentId: 'pay-1',
  orderId: '1',
  reservationId: 'res-1',
  status: 'AWAITING_STATUS',
  amount: { amountMinor: 100, currency: 'EUR' },
  splits: [{ sellerId: 's', amount: { amountMinor: 100, currency: 'EUR' } }],
  token: 'tok_pending',
  attempts: 1,
  statusChecks: 0,
  deadline: '2025-03-01T12:15:00.000Z',
  correlationId: '01JN8S7QG07VXVQKXB80JART8R',
  causationId: '01JN8S7QWWHQQKNETG34RA04PS',
  createdAt: '2025-03-01T12:00:00.000Z',
  updatedAt: '2025-03-01T12:00:00.000Z',
};
const input = { paymentId: 'pay-1', orderId: '1', deadline: '2025-03-01T12:15:00.000Z', waitSeconds: 4 };

function pspAnswers(status: string) {
  return vi
    .spyOn(globalThis, 'fetch')
    .mockImplementation(
      async () =>
        new Response(JSON.stringify({ paymentId: 'pay-1', status, pspReference: 'psp_1' }), { status: 200 }),
    );
}

describe('Handler: check-status', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(GetCommand).resolves({ Item: payment });
    doc.on(UpdateCommand).resolves({});
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: PSP_API_KEY });
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('answers a check of a pending payment with the next, doubled wait', async () => {
    // Prepare
    const fetchSpy = pspAnswers('PENDING');

    // Act
    const result = await handler(input, lambdaContext());

    // Assess
    expect(result).toEqual({
      settled: false,
      deadlinePassed: false,
      nextWaitSeconds: 8,
      status: 'AWAITING_STATUS',
    });
    expect(String(fetchSpy.mock.calls[0]?.[0])).toBe('https://psp.test/v1/psp/payments/pay-1');
    expect(fetchSpy.mock.calls[0]?.[1]?.headers).toMatchObject({ 'x-api-key': PSP_API_KEY });
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:psp-api-key-AbCdEf',
    });
  });

  it('settles a check that finds a final answer', async () => {
    // Prepare
    pspAnswers('SUCCEEDED');

    // Act
    const result = await handler({ ...input, action: 'check' }, lambdaContext());

    // Assess
    expect(result).toMatchObject({ settled: true, status: 'SUCCEEDED' });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(outboxEventOf(doc.commandCalls(UpdateCommand)[0]?.args[0].input)).toMatchObject({
      eventType: 'PaymentSucceeded',
    });
  });

  it('voids and fails the payment on expire when the PSP is still pending', async () => {
    // Prepare
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
      const status = String(url).endsWith('/void') ? 'VOIDED' : 'PENDING';
      return new Response(JSON.stringify({ paymentId: 'pay-1', status, pspReference: 'psp_1' }), {
        status: 200,
      });
    });

    // Act
    const result = await handler({ ...input, action: 'expire' }, lambdaContext());

    // Assess
    expect(result).toEqual({ settled: true, status: 'VOIDED' });
    expect(fetchSpy.mock.calls.map(([url, init]) => `${init?.method} ${String(url)}`)).toEqual([
      'GET https://psp.test/v1/psp/payments/pay-1',
      'POST https://psp.test/v1/psp/payments/pay-1/void',
    ]);
    const update = doc.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':to': 'VOIDED',
      ':reason': 'DEADLINE_EXCEEDED',
    });
  });

  it('fails the payment on expire, owing its release, when the PSP cannot be reached', async () => {
    // Prepare
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('fetch failed'));

    // Act
    const result = await handler({ ...input, action: 'expire' }, lambdaContext());

    // Assess
    expect(result).toEqual({ settled: true, status: 'FAILED' });
    const update = doc.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':failed': 'FAILED',
      ':reason': 'DEADLINE_EXCEEDED',
      ':true': true,
    });
  });

  it('rejects malformed task input', async () => {
    // Act
    const attempt = handler({ ...input, deadline: 'soon' }, lambdaContext());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidTaskInputError);
  });

  it("logs the check with the order saga's correlationId from the workflow input", async () => {
    // Prepare
    pspAnswers('PENDING');
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, 'info').mockImplementation((line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    vi.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);

    // Act
    try {
      await handler({ ...input, correlationId: payment.correlationId }, lambdaContext());
    } finally {
      logger.setLogLevel(level);
    }

    // Assess
    expect(lines.find((line) => line.message === 'payment status checked')).toMatchObject({
      paymentId: 'pay-1',
      orderId: '1',
      correlationId: payment.correlationId,
    });
  });
});
