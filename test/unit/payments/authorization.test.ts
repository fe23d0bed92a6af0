import { DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PaymentAuthorization } from '#functions/payments/authorization';
import { CircuitBreakingPaymentProvider, countsAgainstPsp } from '#functions/payments/circuit-provider';
import { PaymentInvariantError, PaymentWriteError } from '#functions/payments/errors';
import { PaymentStore } from '#functions/payments/payment-store';
import {
  type PaymentProvider,
  PspConflictError,
  PspCredentialsError,
  PspRejectedError,
  PspTransientError,
} from '#functions/payments/provider';
import type { WorkflowStarter } from '#functions/payments/workflow';
import { CircuitBreaker } from '#platform/circuit-breaker';
import {
  conditionFailed,
  DEADLINE,
  NOW,
  ORDER_ID,
  outboxEventOf,
  outboxEventsOf,
  PAYMENT_ID,
  payment,
  pspDouble,
  stockReserved,
  TABLE,
  workflowInput,
} from './helpers';

const doc = mockClient(DynamoDBDocumentClient);

function setup(provider: Partial<PaymentProvider> = {}) {
  const psp = pspDouble(provider);
  const workflow = { start: vi.fn<WorkflowStarter['start']>(async () => 'STARTED') };
  const sleep = vi.fn(async (_ms: number) => undefined);
  const authorization = new PaymentAuthorization({
    store: new PaymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE),
    provider: psp,
    workflow,
    retry: {
      maxAttempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 2_000,
      timeoutMs: 2_000,
      sleep,
      random: () => 0,
    },
    deadlineSeconds: 900,
  });
  return { authorization, psp, workflow, sleep };
}

/** The input of the `index`-th payment update. */
const update = (index = 0) => doc.commandCalls(UpdateCommand)[index]?.args[0].input;

/** The `index`-th payment update and the one event it carries. */
function settlement(index = 0) {
  const input = update(index);
  return { input, event: outboxEventOf(input) };
}

describe('Class: PaymentAuthorization', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({});
  });

  describe('Method: authorize', () => {
    it('keeps the trace of the StockReserved on the payment and continues it in the settlement event', async () => {
      // Prepare
      const { authorization } = setup();
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

      // Act
      await authorization.authorize({ ...stockReserved, trace: { traceparent } }, NOW);

      // Assess
      expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({ traceparent });
      expect(settlement().event?.trace?.traceparent).toMatch(
        /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
      );
    });

    it('creates the payment once, authorizes with the split and settles PaymentSucceeded in one conditional update', async () => {
      // Prepare
      const { authorization, psp, workflow } = setup();

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'SUCCEEDED', attempts: 1 });
      expect(doc.commandCalls(PutCommand)).toHaveLength(1);
      expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: {
          pk: `PAYMENT#${PAYMENT_ID}`,
          sk: 'PAYMENT',
          entity: 'PAYMENT',
          paymentId: PAYMENT_ID,
          orderId: ORDER_ID,
          reservationId: stockReserved.payload.reservationId,
          status: 'AUTHORIZING',
          amount: { amountMinor: 9997, currency: 'EUR' },
          splits: payment().splits,
          token: 'tok_ok',
          attempts: 0,
          statusChecks: 0,
          deadline: '2025-03-01T12:15:01.000Z',
          reconcileShard: expect.stringMatching(/^[0-3]$/),
          reconcileAt: '2025-03-01T12:15:01.000Z',
          correlationId: stockReserved.correlationId,
          causationId: stockReserved.eventId,
          createdAt: NOW.toISOString(),
          updatedAt: NOW.toISOString(),
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
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
      expect(input).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        UpdateExpression:
          'SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now, pspReference = :pspReference, #outbox = :outbox REMOVE reconcileShard',
        ConditionExpression: '#status = :from AND attribute_not_exists(reversalRequested)',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: {
          ':final': 'SUCCEEDED',
          ':from': 'AUTHORIZING',
          ':attempts': 1,
          ':checks': 0,
          ':now': NOW.toISOString(),
          ':pspReference': 'psp_1',
          ':outbox': [
            {
              aggregateId: ORDER_ID,
              eventId: event.eventId,
              eventType: 'PaymentSucceeded',
              topic: 'payments.events',
              messageKey: ORDER_ID,
              event: expect.any(String),
              createdAt: NOW.toISOString(),
            },
          ],
        },
      });
      expect(event).toMatchObject({
        eventType: 'PaymentSucceeded',
        source: 'payment-service',
        aggregateId: ORDER_ID,
        causationId: stockReserved.eventId,
        correlationId: stockReserved.correlationId,
        payload: {
          orderId: ORDER_ID,
          paymentId: PAYMENT_ID,
          amount: { amountMinor: 9997, currency: 'EUR' },
          pspReference: 'psp_1',
          attempts: 1,
          splits: payment().splits,
        },
      });
      expect(workflow.start).not.toHaveBeenCalled();
    });

    it.each([
      ['DECLINED', 'DECLINED'],
      ['INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS'],
    ] as const)('settles a %s answer as PaymentFailed', async (status, reason) => {
      // Prepare
      const { authorization, workflow } = setup({
        authorize: async () => ({ status, pspReference: 'psp_2' }),
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'FAILED', attempts: 1, reason });
      const { input, event } = settlement();
      expect(input).toMatchObject({
        UpdateExpression:
          'SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now, failureReason = :reason, pspReference = :pspReference, #outbox = :outbox REMOVE reconcileShard',
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: { ':final': 'FAILED', ':from': 'AUTHORIZING', ':reason': reason },
      });
      expect(event).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason, attempts: 1 },
      });
      expect(workflow.start).not.toHaveBeenCalled();
    });

    it('settles a request the PSP rejects as PaymentFailed with PSP_ERROR, without retrying it', async () => {
      // Prepare
      const { authorization, psp } = setup({
        authorize: async () => {
          throw new PspRejectedError('PSP answered 400: invalid token', 400);
        },
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'FAILED', attempts: 1, reason: 'PSP_ERROR' });
      expect(psp.authorize).toHaveBeenCalledTimes(1);
      const { input, event } = settlement();
      expect(input?.UpdateExpression).not.toContain('pspReference');
      expect(event).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason: 'PSP_ERROR', detail: 'PSP answered 400: invalid token', attempts: 1 },
      });
    });

    it('marks a PENDING payment AWAITING_STATUS and starts the workflow named after it', async () => {
      // Prepare
      const { authorization, workflow } = setup({
        authorize: async () => ({ status: 'PENDING', pspReference: 'psp_3' }),
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 1, reason: 'PSP_PENDING' });
      const { input, event } = settlement();
      expect(input).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        UpdateExpression:
          'SET #status = :awaiting, attempts = :attempts, deadline = :deadline, lastError = :lastError, updatedAt = :now, reconcileShard = :shard, reconcileAt = :deadline, pspReference = :pspReference, #outbox = :outbox',
        ConditionExpression: '#status = :authorizing',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: {
          ':awaiting': 'AWAITING_STATUS',
          ':authorizing': 'AUTHORIZING',
          ':attempts': 1,
          ':deadline': DEADLINE,
          ':lastError': 'PSP answered PENDING',
          ':now': NOW.toISOString(),
          ':shard': expect.stringMatching(/^[0-3]$/),
          ':pspReference': 'psp_3',
          ':outbox': [expect.objectContaining({ eventId: event.eventId, eventType: 'PaymentPending' })],
        },
      });
      expect(event).toMatchObject({
        eventType: 'PaymentPending',
        source: 'payment-service',
        causationId: stockReserved.eventId,
        correlationId: stockReserved.correlationId,
        payload: {
          paymentId: PAYMENT_ID,
          reason: 'PSP_PENDING',
          deadline: DEADLINE,
          attempts: 1,
        },
      });
      expect(workflow.start).toHaveBeenCalledWith(PAYMENT_ID, workflowInput());
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    });

    it('awaits the status after the short retries keep failing', async () => {
      // Prepare
      const { authorization, psp, workflow, sleep } = setup({
        authorize: async () => {
          throw new PspTransientError('timed out');
        },
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 3, reason: 'PSP_UNAVAILABLE' });
      expect(psp.authorize).toHaveBeenCalledTimes(3);
      expect(sleep).toHaveBeenCalledTimes(2);
      const { input, event } = settlement();
      expect(input?.UpdateExpression).not.toContain('pspReference');
      expect(input?.ExpressionAttributeValues).toMatchObject({
        ':attempts': 3,
        ':lastError': 'timed out',
      });
      expect(input?.ExpressionAttributeValues).not.toHaveProperty(':pspReference');
      expect(event).toMatchObject({
        eventType: 'PaymentPending',
        payload: { reason: 'PSP_UNAVAILABLE', attempts: 3 },
      });
      expect(workflow.start).toHaveBeenCalledTimes(1);
    });

    it('awaits the status with PSP_TIMEOUT when the PSP calls timed out', async () => {
      // Prepare
      const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
        name: 'TimeoutError',
      });
      const { authorization } = setup({
        authorize: async () => {
          throw new PspTransientError('PSP did not answer within 2000 ms', {
            cause: timeout,
            timedOut: true,
          });
        },
      });

      // Act
      await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentPending',
        payload: { reason: 'PSP_TIMEOUT', attempts: 3 },
      });
    });

    it('changes nothing for a redelivered event of a settled payment', async () => {
      // Prepare
      const { authorization, psp, workflow } = setup();
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'SUCCEEDED' });
      expect(doc.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        ConsistentRead: true,
      });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(workflow.start).not.toHaveBeenCalled();
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('starts the workflow again (harmlessly) for a redelivered event of an awaiting payment', async () => {
      // Prepare
      const { authorization, psp, workflow } = setup();
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'AWAITING_STATUS' });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(workflow.start).toHaveBeenCalledWith(PAYMENT_ID, workflowInput());
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('refuses to start the workflow of an awaiting payment without a deadline', async () => {
      // Prepare
      const { authorization, workflow } = setup();
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ deadline: undefined }) });

      // Act
      const run = authorization.authorize(stockReserved, NOW);

      // Assess
      await expect(run).rejects.toBeInstanceOf(PaymentInvariantError);
      await expect(run).rejects.toThrow(`Payment ${PAYMENT_ID} awaits its status without a deadline`);
      expect(workflow.start).not.toHaveBeenCalled();
    });

    it('asks the PSP first for a payment left AUTHORIZING and settles what it has, without sending it again', async () => {
      // Prepare
      const { authorization, psp } = setup({
        getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_7' }),
      });
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'AUTHORIZING', attempts: 1, token: 'tok_ok' }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'SUCCEEDED', attempts: 1 });
      expect(psp.getStatus).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 2_000 });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(settlement().input?.ExpressionAttributeValues).toMatchObject({
        ':from': 'AUTHORIZING',
        ':pspReference': 'psp_7',
      });
    });

    it('sends a payment left AUTHORIZING again, with the same idempotency key, only when the PSP never received it', async () => {
      // Prepare
      const { authorization, psp } = setup({ getStatus: async () => ({ status: 'NOT_FOUND' }) });
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'AUTHORIZING', attempts: 1, token: 'tok_ok' }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'SUCCEEDED', attempts: 2 });
      expect(psp.getStatus.mock.invocationCallOrder[0]).toBeLessThan(
        psp.authorize.mock.invocationCallOrder[0] ?? 0,
      );
      expect(psp.authorize.mock.calls[0]?.[1]).toEqual({ idempotencyKey: PAYMENT_ID, timeoutMs: 2_000 });
      expect(settlement().input?.ExpressionAttributeValues).toMatchObject({
        ':from': 'AUTHORIZING',
        ':attempts': 2,
      });
    });

    it('hands a payment left AUTHORIZING to status checks when the PSP cannot say what it has', async () => {
      // Prepare
      const { authorization, psp, workflow } = setup({
        getStatus: async () => {
          throw new PspTransientError('PSP answered 503');
        },
      });
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'AUTHORIZING', attempts: 1 }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 1, reason: 'PSP_UNAVAILABLE' });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(workflow.start).toHaveBeenCalledWith(PAYMENT_ID, workflowInput());
    });

    it('hands a payment left AUTHORIZING and PENDING at the PSP to status checks without sending it again', async () => {
      // Prepare
      const { authorization, psp } = setup({
        getStatus: async () => ({ status: 'PENDING', pspReference: 'psp_8' }),
      });
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'AUTHORIZING', attempts: 1 }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 1, reason: 'PSP_PENDING' });
      expect(psp.authorize).not.toHaveBeenCalled();
      const { input, event } = settlement();
      expect(input?.ExpressionAttributeValues).toMatchObject({ ':pspReference': 'psp_8' });
      expect(event).toMatchObject({ eventType: 'PaymentPending', payload: { reason: 'PSP_PENDING' } });
    });

    it('does not settle twice when a concurrent run settled first', async () => {
      // Prepare
      const { authorization, workflow } = setup();
      doc.on(UpdateCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'SUCCEEDED' });
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
      expect(workflow.start).not.toHaveBeenCalled();
    });

    it('resumes instead of handing over when a concurrent run moved the payment on', async () => {
      // Prepare
      const { authorization, workflow } = setup({
        authorize: async () => ({ status: 'PENDING', pspReference: 'psp_3' }),
      });
      doc.on(UpdateCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ deadline: '2025-03-01T12:15:00.500Z' }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'AWAITING_STATUS' });
      expect(workflow.start).toHaveBeenCalledTimes(1);
      expect(workflow.start).toHaveBeenCalledWith(PAYMENT_ID, workflowInput(2, '2025-03-01T12:15:00.500Z'));
    });

    it('looks the status up after a 409 instead of failing the payment, and settles what the PSP has', async () => {
      // Prepare
      const { authorization, psp } = setup({
        authorize: async () => {
          throw new PspConflictError('PSP answered 409');
        },
        getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_9' }),
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'SETTLED', status: 'SUCCEEDED', attempts: 1 });
      expect(psp.authorize).toHaveBeenCalledTimes(1);
      expect(psp.getStatus).toHaveBeenCalledTimes(1);
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentSucceeded',
        payload: { pspReference: 'psp_9' },
      });
    });

    it('awaits the status after a 409 for a key the PSP has no payment for', async () => {
      // Prepare
      const { authorization, workflow } = setup({
        authorize: async () => {
          throw new PspConflictError('PSP answered 409');
        },
        getStatus: async () => ({ status: 'NOT_FOUND' }),
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 1, reason: 'PSP_UNAVAILABLE' });
      expect(workflow.start).toHaveBeenCalledTimes(1);
    });

    it.each([401, 403])(
      'hands the payment to status checks, without retrying, when the PSP refuses the credentials (%s)',
      async (statusCode) => {
        // Prepare
        const { authorization, psp, workflow } = setup({
          authorize: async () => {
            throw new PspCredentialsError(`PSP answered ${statusCode}: the credentials were refused`);
          },
        });

        // Act
        const outcome = await authorization.authorize(stockReserved, NOW);

        // Assess
        expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 1, reason: 'PSP_UNAVAILABLE' });
        expect(psp.authorize).toHaveBeenCalledTimes(1);
        expect(workflow.start).toHaveBeenCalledTimes(1);
        const events = doc.commandCalls(UpdateCommand).flatMap((call) => outboxEventsOf(call.args[0].input));
        expect(events.map((event) => event.eventType)).toEqual(['PaymentPending']);
      },
    );

    it('hands the payment to status checks without calling the PSP while its circuit is open', async () => {
      // Prepare
      const inner = pspDouble({
        authorize: async () => {
          throw new PspTransientError('PSP answered 503');
        },
      });
      const breaker = new CircuitBreaker({ name: 'psp', failureThreshold: 1, isFailure: countsAgainstPsp });
      await expect(
        breaker.execute(() => inner.authorize(payment(), { idempotencyKey: 'warm-up', timeoutMs: 1 })),
      ).rejects.toBeInstanceOf(PspTransientError);
      inner.authorize.mockClear();
      const { authorization, workflow } = setup(new CircuitBreakingPaymentProvider(inner, breaker));

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'AWAITING_STATUS', attempts: 0, reason: 'PSP_UNAVAILABLE' });
      expect(inner.authorize).not.toHaveBeenCalled();
      expect(workflow.start).toHaveBeenCalledTimes(1);
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentPending',
        payload: { reason: 'PSP_UNAVAILABLE', attempts: 1 },
      });
    });

    it('refunds at once a payment that succeeds after its order asked for a reversal', async () => {
      // Prepare
      const { authorization, psp } = setup();
      doc
        .on(UpdateCommand, { ExpressionAttributeValues: { ':final': 'SUCCEEDED' } })
        .rejects(conditionFailed());
      doc.on(GetCommand).resolves({
        Item: payment({
          status: 'AUTHORIZING',
          attempts: 0,
          reversalRequested: true,
          reversalReason: 'ORDER_CANCELLED',
          reversalCausationId: '01JN8SGZ0Q6W3N7S1V5B2C8D4E',
        }),
      });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'RELEASED', status: 'REFUNDED', attempts: 1 });
      expect(psp.refund).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 2_000 });
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(2);
      expect(update(0)?.ExpressionAttributeValues).toMatchObject({ ':final': 'SUCCEEDED' });
      const release = update(1);
      expect(release).toMatchObject({
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: { ':to': 'REFUNDED', ':from': 'AUTHORIZING' },
      });
      expect(release?.UpdateExpression).toContain('REMOVE reconcileShard');
      expect(outboxEventsOf(release)).toEqual([
        expect.objectContaining({
          eventType: 'PaymentRefunded',
          causationId: '01JN8SGZ0Q6W3N7S1V5B2C8D4E',
          payload: {
            orderId: ORDER_ID,
            paymentId: PAYMENT_ID,
            amount: payment().amount,
            reason: 'ORDER_CANCELLED',
            pspReference: 'psp_1',
          },
        }),
      ]);
    });

    it('starts the next run of the workflow when the execution of an awaiting payment has ended', async () => {
      // Prepare
      const { authorization, workflow } = setup();
      workflow.start.mockResolvedValueOnce('ENDED').mockResolvedValueOnce('STARTED');
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment() });
      doc.on(UpdateCommand).resolves({ Attributes: payment({ workflowRun: 2 }) });

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'AWAITING_STATUS' });
      expect(workflow.start.mock.calls.map(([name]) => name)).toEqual([PAYMENT_ID, `${PAYMENT_ID}-2`]);
      expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression: 'SET workflowRun = :next, updatedAt = :now REMOVE #outbox',
        ConditionExpression:
          '#status = :awaiting AND (attribute_not_exists(workflowRun) OR workflowRun = :run)',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: { ':next': 2, ':run': 1, ':awaiting': 'AWAITING_STATUS' },
      });
    });

    it('starts no new run when the ended execution belonged to a payment that settled meanwhile', async () => {
      // Prepare
      const { authorization, workflow } = setup();
      workflow.start.mockResolvedValue('ENDED');
      doc.on(PutCommand).rejects(conditionFailed());
      doc
        .on(GetCommand)
        .resolvesOnce({ Item: payment() })
        .resolves({ Item: payment({ status: 'SUCCEEDED' }) });
      doc.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const outcome = await authorization.authorize(stockReserved, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'ALREADY_HANDLED', status: 'AWAITING_STATUS' });
      expect(workflow.start).toHaveBeenCalledTimes(1);
    });

    it('fails with a retryable PaymentWriteError when DynamoDB rejects the settlement', async () => {
      // Prepare
      const { authorization } = setup();
      const cause = new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'Invalid UpdateExpression',
        $metadata: { httpStatusCode: 400 },
      });
      doc.on(UpdateCommand).rejects(cause);

      // Act
      const run = authorization.authorize(stockReserved, NOW);

      // Assess
      await expect(run).rejects.toBeInstanceOf(PaymentWriteError);
      await expect(run).rejects.toMatchObject({
        message: `Payment ${PAYMENT_ID} could not be settled`,
        code: 'PAYMENT_WRITE_FAILED',
        retryable: true,
        cause,
      });
    });

    it('passes an unexpected provider error through without settling', async () => {
      // Prepare
      const failure = new TypeError('fetch is not a function');
      const { authorization } = setup({
        authorize: async () => {
          throw failure;
        },
      });

      // Act
      const run = authorization.authorize(stockReserved, NOW);

      // Assess
      await expect(run).rejects.toBe(failure);
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    });
  });
});
