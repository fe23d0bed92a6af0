import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PaymentItem } from '#functions/payments/model';
import { type PaymentProvider, PspTransientError } from '#functions/payments/provider';
import { PaymentService } from '#functions/payments/service';
import type { WorkflowStarter } from '#functions/payments/workflow';
import { parseEvent } from '../../../events';
import { sample } from '../events/helpers';

const TABLE = 'payments-test';
const NOW = new Date('2025-03-01T12:00:01.000Z');
const doc = mockClient(DynamoDBDocumentClient);
const stockReserved = sample('StockReserved');
const ORDER_ID = stockReserved.payload.orderId;
const PAYMENT_ID = `pay-${ORDER_ID}`;

const ccf = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

function setup(provider: Partial<PaymentProvider> = {}) {
  const psp = {
    authorize: vi.fn(
      provider.authorize ?? (async () => ({ status: 'SUCCEEDED' as const, pspReference: 'psp_1' })),
    ),
    getStatus: vi.fn(
      provider.getStatus ?? (async () => ({ status: 'PENDING' as const, pspReference: 'psp_1' })),
    ),
  };
  const workflow = { start: vi.fn<WorkflowStarter['start']>(async () => undefined) };
  const service = new PaymentService({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    paymentsTable: TABLE,
    provider: psp,
    workflow,
    retry: {
      maxAttempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      timeoutMs: 2_000,
      sleep: async () => undefined,
      random: () => 0,
    },
    deadlineSeconds: 900,
  });
  return { service, psp, workflow };
}

function payment(overrides: Partial<PaymentItem> = {}): PaymentItem {
  return {
    pk: `PAYMENT#${PAYMENT_ID}`,
    sk: 'PAYMENT',
    entity: 'PAYMENT',
    paymentId: PAYMENT_ID,
    orderId: ORDER_ID,
    reservationId: stockReserved.payload.reservationId,
    status: 'AWAITING_STATUS',
    amount: stockReserved.payload.total,
    splits: [
      { sellerId: 'seller-connectivity', amount: { amountMinor: 3999, currency: 'EUR' } },
      { sellerId: 'seller-peripherals', amount: { amountMinor: 5998, currency: 'EUR' } },
    ],
    token: 'tok_pending',
    attempts: 1,
    statusChecks: 0,
    deadline: '2025-03-01T12:15:01.000Z',
    correlationId: stockReserved.correlationId,
    causationId: stockReserved.eventId,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}

const workflowInput = (waitSeconds = 2, deadline = '2025-03-01T12:15:01.000Z') => ({
  paymentId: PAYMENT_ID,
  orderId: ORDER_ID,
  deadline,
  waitSeconds,
});

function settlement(index = 0): {
  input: TransactWriteCommandInput | undefined;
  event: ReturnType<typeof outboxEventOf>;
} {
  const input = doc.commandCalls(TransactWriteCommand)[index]?.args[0].input;
  return { input, event: outboxEventOf(input) };
}

function outboxEventOf(input: TransactWriteCommandInput | undefined) {
  const row = input?.TransactItems?.[1]?.Put;
  expect(row?.ConditionExpression).toBe('attribute_not_exists(pk)');
  const parsed = parseEvent(String(row?.Item?.event));
  if (!parsed.ok) throw parsed.error;
  return parsed.event;
}

describe('Class: PaymentService', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({});
    doc.on(TransactWriteCommand).resolves({});
  });

  describe('Method: authorize', () => {
    it('creates the payment once, authorizes with the split and settles PaymentSucceeded in one transaction', async () => {
      // Prepare
      const { service, psp, workflow } = setup();

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'SUCCEEDED', attempts: 1 });
      const put = doc.commandCalls(PutCommand)[0]?.args[0].input;
      expect(put).toMatchObject({
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: {
          pk: `PAYMENT#${PAYMENT_ID}`,
          status: 'AUTHORIZING',
          amount: { amountMinor: 9997, currency: 'EUR' },
        },
      });
      expect(psp.authorize).toHaveBeenCalledWith(
        {
          paymentId: PAYMENT_ID,
          amount: { amountMinor: 9997, currency: 'EUR' },
          token: 'tok_ok',
          splits: payment().splits,
        },
        { idempotencyKey: PAYMENT_ID, timeoutMs: 2_000 },
      );
      const { input, event } = settlement();
      expect(input?.TransactItems?.[0]?.Update).toMatchObject({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: { ':from': 'AUTHORIZING', ':final': 'SUCCEEDED', ':attempts': 1 },
      });
      expect(event).toMatchObject({
        eventType: 'PaymentSucceeded',
        source: 'payment-service',
        causationId: stockReserved.eventId,
        correlationId: stockReserved.correlationId,
        payload: { paymentId: PAYMENT_ID, pspReference: 'psp_1', attempts: 1, splits: payment().splits },
      });
      expect(workflow.start).not.toHaveBeenCalled();
    });

    it.each([
      ['DECLINED', 'DECLINED'],
      ['INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS'],
    ] as const)('settles a %s answer as PaymentFailed', async (status, reason) => {
      // Prepare
      const { service } = setup({ authorize: async () => ({ status, pspReference: 'psp_2' }) });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'FAILED', attempts: 1, reason });
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason, attempts: 1 },
      });
    });

    it('marks a PENDING payment AWAITING_STATUS and starts the workflow named after it', async () => {
      // Prepare
      const { service, workflow } = setup({
        authorize: async () => ({ status: 'PENDING', pspReference: 'psp_3' }),
      });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 1 });
      const [update, pending] = doc.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(update?.Update).toMatchObject({
        ConditionExpression: '#status = :authorizing',
        ExpressionAttributeValues: {
          ':awaiting': 'AWAITING_STATUS',
          ':authorizing': 'AUTHORIZING',
          ':deadline': '2025-03-01T12:15:01.000Z',
          ':pspReference': 'psp_3',
        },
      });
      expect(pending?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
      const event = parseEvent(pending?.Put?.Item?.event);
      expect(event.ok && event.event).toMatchObject({
        eventType: 'PaymentPending',
        payload: {
          paymentId: PAYMENT_ID,
          reason: 'PSP_PENDING',
          deadline: '2025-03-01T12:15:01.000Z',
          attempts: 1,
        },
      });
      expect(workflow.start).toHaveBeenCalledWith(PAYMENT_ID, workflowInput());
      expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('awaits the status after the short retries keep failing', async () => {
      // Prepare
      const { service, psp, workflow } = setup({
        authorize: async () => {
          throw new PspTransientError('timed out');
        },
      });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 3 });
      expect(psp.authorize).toHaveBeenCalledTimes(3);
      const [update, pending] = doc.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(update?.Update?.ExpressionAttributeValues).toMatchObject({
        ':attempts': 3,
        ':lastError': 'timed out',
      });
      const event = parseEvent(pending?.Put?.Item?.event);
      expect(event.ok && event.event.payload).toMatchObject({ reason: 'PSP_UNAVAILABLE', attempts: 3 });
      expect(workflow.start).toHaveBeenCalledTimes(1);
    });

    it('changes nothing for a redelivered event of a settled payment', async () => {
      // Prepare
      const { service, psp, workflow } = setup();
      doc.on(PutCommand).rejects(ccf());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'SUCCEEDED' });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(workflow.start).not.toHaveBeenCalled();
      expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });

    it('starts the workflow again (harmlessly) for a redelivered event of an awaiting payment', async () => {
      // Prepare
      const { service, psp, workflow } = setup();
      doc.on(PutCommand).rejects(ccf());
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'AWAITING_STATUS' });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(workflow.start).toHaveBeenCalledWith(PAYMENT_ID, workflowInput());
    });

    it('resumes a payment left AUTHORIZING by a crashed run, with the same idempotency key', async () => {
      // Prepare
      const { service, psp } = setup();
      doc.on(PutCommand).rejects(ccf());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'AUTHORIZING', attempts: 0, token: 'tok_ok' }) });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toMatchObject({ kind: 'SETTLED', status: 'SUCCEEDED' });
      expect(psp.authorize.mock.calls[0]?.[1]).toEqual({ idempotencyKey: PAYMENT_ID, timeoutMs: 2_000 });
    });

    it('does not settle twice when a concurrent run settled first', async () => {
      // Prepare
      const { service } = setup();
      doc.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
      doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

      // Act
      const outcome = await service.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'SUCCEEDED' });
    });
  });

  describe('Method: checkStatus', () => {
    it('settles a final PSP answer conditionally on AWAITING_STATUS', async () => {
      // Prepare
      const { service } = setup({ getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_4' }) });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await service.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toMatchObject({ settled: true, status: 'SUCCEEDED' });
      const { input, event } = settlement();
      expect(input?.TransactItems?.[0]?.Update).toMatchObject({
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: { ':from': 'AWAITING_STATUS', ':checks': 1 },
      });
      expect(event).toMatchObject({
        eventType: 'PaymentSucceeded',
        payload: { pspReference: 'psp_4', attempts: 1 },
      });
    });

    it('reports growing waits, capped at 30 s and at the deadline', async () => {
      // Prepare
      const { service } = setup();
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const waits = [];
      for (const wait of [2, 4, 8, 16, 30])
        waits.push((await service.checkStatus(workflowInput(wait), NOW)).nextWaitSeconds);
      const nearDeadline = await service.checkStatus(workflowInput(8, '2025-03-01T12:00:04.000Z'), NOW);

      // Assess
      expect(waits).toEqual([4, 8, 16, 30, 30]);
      expect(nearDeadline).toMatchObject({ settled: false, deadlinePassed: false, nextWaitSeconds: 3 });
      expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression: 'ADD statusChecks :one SET updatedAt = :now',
        ConditionExpression: '#status = :awaiting',
      });
    });

    it('says when the deadline has passed', async () => {
      // Prepare
      const { service } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ deadline: '2025-03-01T12:00:00.000Z' }) });

      // Act
      const result = await service.checkStatus(workflowInput(4, '2025-03-01T12:00:00.000Z'), NOW);

      // Assess
      expect(result).toMatchObject({ settled: false, deadlinePassed: true });
    });

    it('re-submits an authorization the PSP never received', async () => {
      // Prepare
      const { service, psp } = setup({ getStatus: async () => ({ status: 'NOT_FOUND' }) });
      doc.on(GetCommand).resolves({ Item: payment({ token: 'tok_ok' }) });

      // Act
      const result = await service.checkStatus(workflowInput(), NOW);

      // Assess
      expect(psp.authorize).toHaveBeenCalledWith(
        expect.objectContaining({ paymentId: PAYMENT_ID, token: 'tok_ok' }),
        {
          idempotencyKey: PAYMENT_ID,
          timeoutMs: 2_000,
        },
      );
      expect(result.settled).toBe(true);
    });

    it('counts a PSP outage as not settled yet', async () => {
      // Prepare
      const { service } = setup({
        getStatus: async () => {
          throw new PspTransientError('503');
        },
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await service.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toMatchObject({ settled: false, status: 'AWAITING_STATUS' });
    });

    it('reports an already settled payment as settled without asking the PSP', async () => {
      // Prepare
      const { service, psp } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ status: 'FAILED' }) });

      // Act
      const result = await service.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toMatchObject({ settled: true, status: 'FAILED' });
      expect(psp.getStatus).not.toHaveBeenCalled();
    });
  });

  describe('Method: expire', () => {
    it('fails the payment with DEADLINE_EXCEEDED when the PSP is still pending', async () => {
      // Prepare
      const { service } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ pspReference: 'psp_5' }) });

      // Act
      const result = await service.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'FAILED' });
      const { input, event } = settlement();
      expect(input?.TransactItems?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({
        ':from': 'AWAITING_STATUS',
        ':final': 'FAILED',
        ':reason': 'DEADLINE_EXCEEDED',
      });
      expect(event).toMatchObject({ eventType: 'PaymentFailed', payload: { reason: 'DEADLINE_EXCEEDED' } });
    });

    it('settles a final answer that arrived at the last moment instead', async () => {
      // Prepare
      const { service } = setup({ getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_6' }) });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await service.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'SUCCEEDED' });
      expect(settlement().event.eventType).toBe('PaymentSucceeded');
    });
  });
});
