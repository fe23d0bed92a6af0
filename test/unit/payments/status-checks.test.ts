import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PaymentNotFoundError } from '#functions/payments/errors';
import { PaymentStore } from '#functions/payments/payment-store';
import {
  type PaymentProvider,
  PspConflictError,
  PspRejectedError,
  PspTransientError,
} from '#functions/payments/provider';
import { PaymentStatusChecks } from '#functions/payments/status-checks';
import {
  conditionFailed,
  DEADLINE,
  NOW,
  outboxEventOf,
  outboxEventsOf,
  PAYMENT_ID,
  payment,
  pspDouble,
  TABLE,
  workflowInput,
} from './helpers';

const doc = mockClient(DynamoDBDocumentClient);

function setup(provider: Partial<PaymentProvider> = {}, maxWaitSeconds?: number) {
  const psp = pspDouble(provider);
  const checks = new PaymentStatusChecks({
    store: new PaymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE),
    provider: psp,
    timeoutMs: 1_500,
    ...(maxWaitSeconds === undefined ? {} : { maxWaitSeconds }),
  });
  return { checks, psp };
}

/** The inputs of the payment updates, in order. */
const updates = () => doc.commandCalls(UpdateCommand).map((call) => call.args[0].input);

/** The `index`-th payment update and the one event it carries. */
function settlement(index = 0) {
  const input = updates()[index];
  return { input, event: outboxEventOf(input) };
}

/** What counting one status check sends: no event, so the outbox attribute is removed. */
const COUNT_CHECK = 'ADD statusChecks :one SET updatedAt = :now REMOVE #outbox';

describe('Class: PaymentStatusChecks', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({});
  });

  describe('Method: checkStatus', () => {
    it('settles a final PSP answer conditionally on AWAITING_STATUS', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_4' }),
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({
        settled: true,
        deadlinePassed: false,
        nextWaitSeconds: 0,
        status: 'SUCCEEDED',
      });
      expect(psp.getStatus).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 1_500 });
      const { input, event } = settlement();
      expect(input).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        UpdateExpression:
          'SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now, pspReference = :pspReference, #outbox = :outbox REMOVE reconcileShard',
        ConditionExpression: '#status = :from AND attribute_not_exists(reversalRequested)',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: {
          ':final': 'SUCCEEDED',
          ':from': 'AWAITING_STATUS',
          ':attempts': 1,
          ':checks': 1,
          ':now': NOW.toISOString(),
          ':pspReference': 'psp_4',
          ':outbox': [expect.objectContaining({ eventId: event.eventId, eventType: 'PaymentSucceeded' })],
        },
      });
      expect(event).toMatchObject({
        eventType: 'PaymentSucceeded',
        payload: { pspReference: 'psp_4', attempts: 1 },
      });
      expect(updates()).toHaveLength(1);
    });

    it('settles a declined payment as PaymentFailed, keeping the reference it had', async () => {
      // Prepare
      const { checks } = setup({ getStatus: async () => ({ status: 'DECLINED', pspReference: 'psp_5' }) });
      doc.on(GetCommand).resolves({ Item: payment({ statusChecks: 3 }) });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toMatchObject({ settled: true, status: 'FAILED' });
      const { input, event } = settlement();
      expect(input?.ExpressionAttributeValues).toMatchObject({
        ':final': 'FAILED',
        ':reason': 'DECLINED',
        ':checks': 4,
      });
      expect(event).toMatchObject({ eventType: 'PaymentFailed', payload: { reason: 'DECLINED' } });
    });

    it('reports growing waits, capped at 30 s and at the deadline, and counts each open check', async () => {
      // Prepare
      const { checks } = setup();
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const waits = [];
      for (const wait of [2, 4, 8, 16, 30]) {
        waits.push((await checks.checkStatus(workflowInput(wait), NOW)).nextWaitSeconds);
      }
      const nearDeadline = await checks.checkStatus(workflowInput(8, '2025-03-01T12:00:04.000Z'), NOW);

      // Assess
      expect(waits).toEqual([4, 8, 16, 30, 30]);
      expect(nearDeadline).toEqual({
        settled: false,
        deadlinePassed: false,
        nextWaitSeconds: 3,
        status: 'AWAITING_STATUS',
      });
      expect(updates()).toHaveLength(6);
      expect(updates()[0]).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        UpdateExpression: COUNT_CHECK,
        ConditionExpression: '#status = :awaiting',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: { ':one': 1, ':awaiting': 'AWAITING_STATUS', ':now': NOW.toISOString() },
      });
      expect(updates().map((update) => update.UpdateExpression)).toEqual(Array(6).fill(COUNT_CHECK));
      expect(updates().flatMap(outboxEventsOf)).toEqual([]);
    });

    it('caps the wait at the configured maximum', async () => {
      // Prepare
      const { checks } = setup({}, 10);
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.checkStatus(workflowInput(8), NOW);

      // Assess
      expect(result.nextWaitSeconds).toBe(10);
    });

    it('says when the deadline has passed', async () => {
      // Prepare
      const { checks } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ deadline: '2025-03-01T12:00:00.000Z' }) });

      // Act
      const result = await checks.checkStatus(workflowInput(4, '2025-03-01T12:00:00.000Z'), NOW);

      // Assess
      expect(result).toMatchObject({ settled: false, deadlinePassed: true, status: 'AWAITING_STATUS' });
    });

    it("judges the deadline by the payment's own deadline over the workflow's", async () => {
      // Prepare
      const { checks } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ deadline: '2025-03-01T12:00:00.000Z' }) });

      // Act
      const result = await checks.checkStatus(workflowInput(4, DEADLINE), NOW);

      // Assess
      expect(result.deadlinePassed).toBe(true);
    });

    it('re-submits an authorization the PSP never received, under the same idempotency key', async () => {
      // Prepare
      const { checks, psp } = setup({ getStatus: async () => ({ status: 'NOT_FOUND' }) });
      doc.on(GetCommand).resolves({ Item: payment({ token: 'tok_ok' }) });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(psp.authorize).toHaveBeenCalledWith(
        {
          paymentId: PAYMENT_ID,
          amount: payment().amount,
          token: 'tok_ok',
          splits: payment().splits,
        },
        { idempotencyKey: PAYMENT_ID, timeoutMs: 1_500 },
      );
      expect(result.settled).toBe(true);
    });

    it('counts a PSP outage as not settled yet', async () => {
      // Prepare
      const { checks } = setup({
        getStatus: async () => {
          throw new PspTransientError('503');
        },
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({
        settled: false,
        deadlinePassed: false,
        nextWaitSeconds: 4,
        status: 'AWAITING_STATUS',
      });
      expect(updates()).toHaveLength(1);
      expect(updates()[0]?.UpdateExpression).toBe(COUNT_CHECK);
      expect(outboxEventsOf(updates()[0])).toEqual([]);
    });

    it('fails the payment with PSP_ERROR when the PSP rejects the status request', async () => {
      // Prepare
      const { checks } = setup({
        getStatus: async () => {
          throw new PspRejectedError('PSP answered 400', 400);
        },
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toMatchObject({ settled: true, status: 'FAILED' });
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason: 'PSP_ERROR', detail: 'PSP answered 400' },
      });
    });

    it('passes an unexpected provider error through', async () => {
      // Prepare
      const failure = new TypeError('boom');
      const { checks } = setup({
        getStatus: async () => {
          throw failure;
        },
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const run = checks.checkStatus(workflowInput(), NOW);

      // Assess
      await expect(run).rejects.toBe(failure);
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    });

    it('reports an already settled payment as settled without asking the PSP', async () => {
      // Prepare
      const { checks, psp } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ status: 'FAILED' }) });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({
        settled: true,
        deadlinePassed: false,
        nextWaitSeconds: 4,
        status: 'FAILED',
      });
      expect(psp.getStatus).not.toHaveBeenCalled();
      expect(updates()).toHaveLength(0);
    });

    it('reports the status of the run that settled first when it loses the settlement race', async () => {
      // Prepare
      const { checks } = setup({ getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_4' }) });
      doc
        .on(GetCommand)
        .resolvesOnce({ Item: payment() })
        .resolves({ Item: payment({ status: 'FAILED' }) });
      doc
        .on(UpdateCommand, { ExpressionAttributeValues: { ':final': 'SUCCEEDED' } })
        .rejects(conditionFailed());

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ settled: true, deadlinePassed: false, nextWaitSeconds: 0, status: 'FAILED' });
    });

    it('ignores a count that finds the payment settled meanwhile', async () => {
      // Prepare
      const { checks } = setup();
      doc.on(GetCommand).resolves({ Item: payment() });
      doc.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toMatchObject({ settled: false, status: 'AWAITING_STATUS' });
    });

    it('voids a payment whose order asked for a reversal instead of waiting for it to settle', async () => {
      // Prepare
      const { checks, psp } = setup();
      doc.on(GetCommand).resolves({
        Item: payment({ reversalRequested: true, reversalReason: 'ORDER_CANCELLED', pspReference: 'psp_1' }),
      });

      // Act
      const result = await checks.checkStatus(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ settled: true, deadlinePassed: false, nextWaitSeconds: 0, status: 'VOIDED' });
      expect(psp.void).toHaveBeenCalledTimes(1);
      const events = updates().flatMap(outboxEventsOf);
      expect(
        events.map((event) => [
          event.eventType,
          'reason' in event.payload ? event.payload.reason : undefined,
        ]),
      ).toEqual([['PaymentVoided', 'ORDER_CANCELLED']]);
    });

    it('does not send the authorization again once the deadline has passed', async () => {
      // Prepare
      const { checks, psp } = setup({ getStatus: async () => ({ status: 'NOT_FOUND' }) });
      doc.on(GetCommand).resolves({ Item: payment({ deadline: '2025-03-01T12:00:00.000Z' }) });

      // Act
      const result = await checks.checkStatus(workflowInput(4, '2025-03-01T12:00:00.000Z'), NOW);

      // Assess
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(psp.void).not.toHaveBeenCalled();
      expect(result).toMatchObject({ settled: false, deadlinePassed: true, status: 'AWAITING_STATUS' });
    });

    it('fails with a permanent PaymentNotFoundError for a payment the table does not hold', async () => {
      // Prepare
      const { checks, psp } = setup();
      doc.on(GetCommand).resolves({});

      // Act
      const run = checks.checkStatus(workflowInput(), NOW);

      // Assess
      await expect(run).rejects.toBeInstanceOf(PaymentNotFoundError);
      await expect(run).rejects.toMatchObject({ code: 'PAYMENT_NOT_FOUND', retryable: false });
      expect(psp.getStatus).not.toHaveBeenCalled();
    });
  });

  describe('Method: expire', () => {
    it('voids what the PSP still holds pending, then fails the payment with DEADLINE_EXCEEDED', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: async () => ({ status: 'PENDING', pspReference: 'psp_5' }),
        void: async () => ({ status: 'VOIDED', pspReference: 'psp_5' }),
      });
      doc.on(GetCommand).resolves({ Item: payment({ pspReference: 'psp_5', statusChecks: 6 }) });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'VOIDED', resolved: 'RELEASED' });
      expect(psp.void).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 1_500 });
      expect(updates()).toHaveLength(1);
      const input = updates()[0];
      expect(input).toMatchObject({
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: {
          ':from': 'AWAITING_STATUS',
          ':to': 'VOIDED',
          ':reason': 'DEADLINE_EXCEEDED',
          ':pspReference': 'psp_5',
        },
      });
      expect(input?.UpdateExpression).toContain('REMOVE reconcileShard');
      const events = outboxEventsOf(input);
      expect(events.map((event) => event.eventType)).toEqual(['PaymentFailed', 'PaymentVoided']);
      expect(events[0]).toMatchObject({
        payload: {
          reason: 'DEADLINE_EXCEEDED',
          detail: `No final answer from the PSP before ${DEADLINE}; the authorization was voided`,
        },
      });
      expect(events[1]).toMatchObject({
        payload: { reason: 'DEADLINE_EXCEEDED', pspReference: 'psp_5', amount: payment().amount },
      });
    });

    it('refunds instead when the PSP captured the payment of an order already cancelled', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_5' }),
      });
      doc.on(GetCommand).resolves({
        Item: payment({ reversalRequested: true, reversalReason: 'ORDER_CANCELLED' }),
      });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'REFUNDED', resolved: 'RELEASED' });
      expect(psp.refund).toHaveBeenCalledTimes(1);
      const events = updates().flatMap(outboxEventsOf);
      expect(events.map((event) => [event.eventType, event.payload])).toEqual([
        ['PaymentRefunded', expect.objectContaining({ reason: 'ORDER_CANCELLED', pspReference: 'psp_1' })],
      ]);
    });

    it('settles a payment the PSP captured between its last check and the void', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: vi
          .fn()
          .mockResolvedValueOnce({ status: 'PENDING', pspReference: 'psp_5' })
          .mockResolvedValue({ status: 'SUCCEEDED', pspReference: 'psp_5' }),
        void: async () => {
          throw new PspConflictError('PSP answered 409');
        },
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'SUCCEEDED', resolved: 'SETTLED' });
      expect(psp.getStatus).toHaveBeenCalledTimes(2);
      expect(psp.refund).not.toHaveBeenCalled();
      expect(settlement().event).toMatchObject({ eventType: 'PaymentSucceeded' });
    });

    it('fails the payment with DEADLINE_EXCEEDED, owing its release, when the PSP cannot be reached', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: async () => {
          throw new PspTransientError('503');
        },
      });
      doc.on(GetCommand).resolves({ Item: payment({ statusChecks: 2 }) });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'FAILED', resolved: 'FAILED_UNRELEASED' });
      expect(psp.void).not.toHaveBeenCalled();
      const { input, event } = settlement();
      expect(input).toMatchObject({
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: {
          ':from': 'AWAITING_STATUS',
          ':failed': 'FAILED',
          ':reason': 'DEADLINE_EXCEEDED',
          ':true': true,
          ':reversalReason': 'DEADLINE_EXCEEDED',
          ':checks': 3,
          ':now': NOW.toISOString(),
        },
      });
      expect(input?.UpdateExpression).toContain('reconcileAt = :now');
      expect(input?.UpdateExpression).not.toContain('REMOVE');
      expect(event).toMatchObject({ eventType: 'PaymentFailed', payload: { reason: 'DEADLINE_EXCEEDED' } });
      expect(updates()).toHaveLength(1);
    });

    it('fails the payment without a release when the PSP never received it', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: async () => ({ status: 'NOT_FOUND' }),
        void: async () => ({ status: 'NOT_FOUND' }),
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'FAILED', resolved: 'SETTLED' });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason: 'DEADLINE_EXCEEDED' },
      });
    });

    it('settles a final answer that arrived at the last moment instead', async () => {
      // Prepare
      const { checks, psp } = setup({
        getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_6' }),
      });
      doc.on(GetCommand).resolves({ Item: payment() });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'SUCCEEDED', resolved: 'SETTLED' });
      expect(psp.void).not.toHaveBeenCalled();
      expect(settlement().event).toMatchObject({
        eventType: 'PaymentSucceeded',
        payload: { pspReference: 'psp_6' },
      });
    });

    it('changes nothing for a payment that is no longer awaiting its status', async () => {
      // Prepare
      const { checks, psp } = setup();
      doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'SUCCEEDED' });
      expect(psp.getStatus).not.toHaveBeenCalled();
      expect(updates()).toHaveLength(0);
    });

    it('reports the status of a concurrent settlement instead of failing the payment twice', async () => {
      // Prepare
      const { checks } = setup({ getStatus: async () => ({ status: 'DECLINED', pspReference: 'psp_6' }) });
      doc
        .on(GetCommand)
        .resolvesOnce({ Item: payment() })
        .resolves({ Item: payment({ status: 'FAILED' }) });
      doc.on(UpdateCommand, { ExpressionAttributeValues: { ':final': 'FAILED' } }).rejects(conditionFailed());

      // Act
      const result = await checks.expire(workflowInput(), NOW);

      // Assess
      expect(result).toEqual({ status: 'FAILED', resolved: 'UNCHANGED' });
      expect(updates()).toHaveLength(1);
    });
  });
});
