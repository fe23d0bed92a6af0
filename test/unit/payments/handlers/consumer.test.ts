import '#test/unit/setup-env';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { sample } from '#test/unit/events/helpers';
import { outboxEventsOf, payment } from '../helpers';

vi.hoisted(() => {
  Object.assign(process.env, {
    PAYMENTS_TABLE_NAME: 'payments-test',
    IDEMPOTENCY_TABLE_NAME: 'payment-idempotency-test',
    DEAD_LETTER_TABLE_NAME: 'dead-letters-test',
    PSP_BASE_URL: 'https://psp.test/v1/psp',
    PSP_API_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:psp-api-key-AbCdEf',
    PSP_TIMEOUT_MS: '50',
    PSP_RETRY_BASE_MS: '0',
    PAYMENT_WORKFLOW_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:payment-status',
  });
});

const { handler } = await import('#functions/payments/handlers/consumer');

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const secrets = mockClient(SecretsManagerClient);

/** The events the payment updates carry, in order. */
const writtenEvents = () =>
  doc.commandCalls(UpdateCommand).flatMap((call) => outboxEventsOf(call.args[0].input));

/** The PSP answers `status` to every call, and records the calls. */
function pspAnswers(status: (url: string) => string) {
  return vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
    const body = { paymentId: 'pay-x', status: status(String(url)), pspReference: 'psp_1' };
    return new Response(JSON.stringify(body), { status: 200 });
  });
}

describe('Handler: payments consumer', () => {
  beforeEach(() => {
    ddb.reset();
    doc.reset();
    sfn.reset();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'psp-key-for-tests' });
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('authorizes a StockReserved at the PSP and settles PaymentSucceeded', async () => {
    // Prepare
    const fetchSpy = pspAnswers(() => 'SUCCEEDED');
    const event = mskEvent([{ topic: 'inventory.events', offset: 1, value: sample('StockReserved') }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(String(fetchSpy.mock.calls[0]?.[0])).toBe('https://psp.test/v1/psp/payments');
    const events = writtenEvents();
    expect(events.map((e) => e.eventType)).toEqual(['PaymentSucceeded']);
  });

  it('hands a pending authorization to the status workflow', async () => {
    // Prepare
    pspAnswers(() => 'PENDING');
    const event = mskEvent([{ topic: 'inventory.events', offset: 1, value: sample('StockReserved') }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    const events = writtenEvents();
    expect(events.map((e) => e.eventType)).toEqual(['PaymentPending']);
  });

  it('voids the open payment of a cancelled order on PaymentReversalRequested from orders.events', async () => {
    // Prepare
    const requested = sample('PaymentReversalRequested');
    const stored = payment({ paymentId: requested.payload.paymentId, orderId: requested.payload.orderId });
    doc.on(GetCommand).resolves({ Item: stored });
    doc.on(UpdateCommand).resolves({
      Attributes: {
        ...stored,
        reversalRequested: true,
        reversalReason: 'ORDER_CANCELLED',
        reversalCausationId: requested.eventId,
      },
    });
    const fetchSpy = pspAnswers((url) => (url.endsWith('/void') ? 'VOIDED' : 'PENDING'));
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: requested }]);

    // Act
    await handler(event, lambdaContext());

    // Assess
    expect(fetchSpy.mock.calls.map(([url, init]) => `${init?.method} ${String(url)}`)).toEqual([
      `GET https://psp.test/v1/psp/payments/${requested.payload.paymentId}`,
      `POST https://psp.test/v1/psp/payments/${requested.payload.paymentId}/void`,
    ]);
    const events = writtenEvents();
    expect(events.map((e) => [e.eventType, e.causationId])).toEqual([['PaymentVoided', requested.eventId]]);
  });

  it('leaves the release to the reconciler, without failing the record, when the PSP is down', async () => {
    // Prepare
    const requested = sample('PaymentReversalRequested');
    const stored = payment({ paymentId: requested.payload.paymentId, status: 'SUCCEEDED' });
    doc.on(GetCommand).resolves({ Item: { ...stored, reversalRequested: true } });
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('fetch failed'));
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: requested }]);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
