import '#test/unit/setup-env';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconcileIncompleteError } from '#functions/payments/reconciler';
import { lambdaContext } from '#test/helpers/fixtures';
import { payment } from '../helpers';

vi.hoisted(() => {
  Object.assign(process.env, {
    PAYMENTS_TABLE_NAME: 'payments-test',
    PSP_BASE_URL: 'https://psp.test/v1/psp',
    PSP_API_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:psp-api-key-AbCdEf',
    PSP_TIMEOUT_MS: '50',
  });
});

const { handler } = await import('#functions/payments/handlers/reconciler');

const doc = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);
const overdue = payment({ reconcileShard: '0', reconcileAt: '2025-03-01T12:15:01.000Z' });

describe('Handler: payments reconciler', () => {
  beforeEach(() => {
    doc.reset();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'psp-key-for-tests' });
    doc.on(QueryCommand).resolves({ Items: [] });
    doc.on(QueryCommand, { ExpressionAttributeValues: { ':shard': '0' } }).resolves({ Items: [overdue] });
    doc.on(GetCommand).resolves({ Item: overdue });
    doc.on(UpdateCommand).resolves({});
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('voids an overdue payment and reports what it did, naming the sagas it looked at', async () => {
    // Prepare
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
      const status = String(url).endsWith('/void') ? 'VOIDED' : 'PENDING';
      return new Response(JSON.stringify({ status, pspReference: 'psp_1' }), { status: 200 });
    });

    // Act
    const result = await handler({}, lambdaContext({ getRemainingTimeInMillis: () => 200_000 }));

    // Assess
    expect(result).toEqual({
      found: 1,
      finished: 1,
      voided: 1,
      refunded: 0,
      failedUnreleased: 0,
      deferred: 0,
      skipped: 0,
      errors: 0,
      correlationIds: [overdue.correlationId],
    });
    expect(doc.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'payments-test',
      IndexName: 'reconcile',
    });
  });

  it('takes no payment on in the last seconds of the invocation', async () => {
    // Prepare
    const fetchSpy = vi.spyOn(globalThis, 'fetch');

    // Act
    const result = await handler({}, lambdaContext({ getRemainingTimeInMillis: () => 10_000 }));

    // Assess
    expect(result).toMatchObject({ found: 1, finished: 0, skipped: 1 });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('fails the run with a retryable error when a payment could not be written', async () => {
    // Prepare
    vi.spyOn(globalThis, 'fetch').mockImplementation(
      async () =>
        new Response(JSON.stringify({ status: 'SUCCEEDED', pspReference: 'psp_1' }), { status: 200 }),
    );
    doc.on(UpdateCommand).rejects(new Error('ValidationException'));

    // Act
    const run = handler({}, lambdaContext({ getRemainingTimeInMillis: () => 200_000 }));

    // Assess
    await expect(run).rejects.toBeInstanceOf(ReconcileIncompleteError);
    await expect(run).rejects.toMatchObject({
      retryable: true,
      message: '1 of 1 payments could not be reconciled',
    });
  });
});
