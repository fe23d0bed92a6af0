import { DynamoDBClient, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEvent } from '#events';
import { PaymentNotFoundError, PaymentWriteError } from '#functions/payments/errors';
import { reconcileShardOf } from '#functions/payments/model';
import { PaymentStore } from '#functions/payments/payment-store';
import {
  conditionFailed,
  DEADLINE,
  NOW,
  ORDER_ID,
  outboxEventOf,
  PAYMENT_ID,
  payment,
  TABLE,
} from './helpers';

const doc = mockClient(DynamoDBDocumentClient);
const store = () =>
  new PaymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE);

const pending = () =>
  createEvent(
    'PaymentPending',
    {
      orderId: ORDER_ID,
      paymentId: PAYMENT_ID,
      reservationId: payment().reservationId,
      amount: payment().amount,
      reason: 'PSP_TIMEOUT',
      deadline: DEADLINE,
      attempts: 3,
    },
    { source: 'payment-service', aggregateId: ORDER_ID, now: NOW },
  );

describe('Class: PaymentStore', () => {
  beforeEach(() => {
    doc.reset();
  });

  describe('Method: createOrGet', () => {
    it('creates the payment when it does not exist', async () => {
      // Prepare
      doc.on(PutCommand).resolves({});
      const item = payment({ status: 'AUTHORIZING' });

      // Act
      const result = await store().createOrGet(item);

      // Assess
      expect(result).toEqual({ created: true, payment: item });
      expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      expect(doc.commandCalls(GetCommand)).toHaveLength(0);
    });

    it('returns the stored payment when it exists', async () => {
      // Prepare
      doc.on(PutCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

      // Act
      const result = await store().createOrGet(payment({ status: 'AUTHORIZING' }));

      // Assess
      expect(result).toEqual({ created: false, payment: payment({ status: 'SUCCEEDED' }) });
    });

    it('fails with a PaymentWriteError when the payment exists but cannot be read', async () => {
      // Prepare
      const cause = conditionFailed();
      doc.on(PutCommand).rejects(cause);
      doc.on(GetCommand).resolves({});

      // Act
      const run = store().createOrGet(payment({ status: 'AUTHORIZING' }));

      // Assess
      await expect(run).rejects.toBeInstanceOf(PaymentWriteError);
      await expect(run).rejects.toMatchObject({
        message: `Payment ${PAYMENT_ID} exists but cannot be read`,
        cause,
      });
    });

    it('passes any other DynamoDB error through', async () => {
      // Prepare
      const failure = new Error('Internal server error');
      doc.on(PutCommand).rejects(failure);

      // Act
      const run = store().createOrGet(payment({ status: 'AUTHORIZING' }));

      // Assess
      await expect(run).rejects.toBe(failure);
    });
  });

  describe('Method: mustGet', () => {
    it('fails with a PaymentNotFoundError for a payment the table does not hold', async () => {
      // Prepare
      doc.on(GetCommand).resolves({});

      // Act
      const run = store().mustGet(PAYMENT_ID);

      // Assess
      await expect(run).rejects.toBeInstanceOf(PaymentNotFoundError);
      await expect(run).rejects.toThrow(`Payment ${PAYMENT_ID} does not exist`);
    });
  });

  describe('Method: handOver', () => {
    it('moves an AUTHORIZING payment to AWAITING_STATUS carrying its PaymentPending entry, in one update', async () => {
      // Prepare
      doc.on(UpdateCommand).resolves({});
      const event = pending();

      // Act
      const handed = await store().handOver(
        PAYMENT_ID,
        { attempts: 3, deadline: DEADLINE, lastError: 'x'.repeat(2000) },
        event,
        NOW,
      );

      // Assess
      expect(handed).toBe(true);
      expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
      expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        UpdateExpression:
          'SET #status = :awaiting, attempts = :attempts, deadline = :deadline, lastError = :lastError, updatedAt = :now, reconcileShard = :shard, reconcileAt = :deadline, #outbox = :outbox',
        ConditionExpression: '#status = :authorizing',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: {
          ':awaiting': 'AWAITING_STATUS',
          ':authorizing': 'AUTHORIZING',
          ':attempts': 3,
          ':deadline': DEADLINE,
          ':lastError': 'x'.repeat(1024),
          ':now': NOW.toISOString(),
          ':shard': reconcileShardOf(PAYMENT_ID),
          ':outbox': [
            {
              aggregateId: ORDER_ID,
              eventId: event.eventId,
              eventType: 'PaymentPending',
              topic: 'payments.events',
              messageKey: ORDER_ID,
              event: JSON.stringify(event),
              createdAt: NOW.toISOString(),
            },
          ],
        },
      });
    });

    it('reports false when the payment was no longer AUTHORIZING', async () => {
      // Prepare
      doc.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const handed = await store().handOver(
        PAYMENT_ID,
        { attempts: 1, deadline: DEADLINE, lastError: 'PSP answered PENDING' },
        pending(),
        NOW,
      );

      // Assess
      expect(handed).toBe(false);
    });

    it('fails with a retryable PaymentWriteError for any other failure', async () => {
      // Prepare
      const cause = new TransactionConflictException({
        message: 'Transaction is ongoing for the item',
        $metadata: {},
      });
      doc.on(UpdateCommand).rejects(cause);

      // Act
      const run = store().handOver(
        PAYMENT_ID,
        { attempts: 1, deadline: DEADLINE, lastError: 'PSP answered PENDING' },
        pending(),
        NOW,
      );

      // Assess
      await expect(run).rejects.toBeInstanceOf(PaymentWriteError);
      await expect(run).rejects.toMatchObject({
        message: `Payment ${PAYMENT_ID} could not be handed to status checks`,
        retryable: true,
        cause,
      });
    });
  });

  describe('Method: settle', () => {
    it('keeps the stored PSP reference when the outcome has none', async () => {
      // Prepare
      doc.on(UpdateCommand).resolves({});

      // Act
      await store().settle(
        payment({ pspReference: 'psp_stored' }),
        'AWAITING_STATUS',
        { status: 'FAILED', reason: 'PSP_ERROR', detail: 'rejected' },
        { attempts: 0, statusChecks: 2 },
        NOW,
      );

      // Assess
      const update = doc.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(update?.UpdateExpression).toBe(
        'SET #status = :final, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now, failureReason = :reason, pspReference = :pspReference, #outbox = :outbox REMOVE reconcileShard',
      );
      expect(update?.ConditionExpression).toBe('#status = :from');
      expect(update?.ExpressionAttributeValues).toEqual({
        ':final': 'FAILED',
        ':from': 'AWAITING_STATUS',
        ':attempts': 1,
        ':checks': 2,
        ':now': NOW.toISOString(),
        ':reason': 'PSP_ERROR',
        ':pspReference': 'psp_stored',
        ':outbox': [expect.objectContaining({ eventType: 'PaymentFailed' })],
      });
      expect(outboxEventOf(update)).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason: 'PSP_ERROR', detail: 'rejected', attempts: 1 },
      });
    });

    it('reports false when the payment was no longer in the status it was decided on', async () => {
      // Prepare
      doc.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const settled = await store().settle(
        payment(),
        'AWAITING_STATUS',
        { status: 'SUCCEEDED', pspReference: 'psp_1' },
        { attempts: 1, statusChecks: 1 },
        NOW,
      );

      // Assess
      expect(settled).toBe(false);
    });
  });

  describe('Method: requestReversal', () => {
    it('flags the payment with the first reason and cause and puts it in the reconcile index at once', async () => {
      // Prepare
      doc.on(UpdateCommand).resolves({ Attributes: payment({ reversalRequested: true }) });

      // Act
      const flagged = await store().requestReversal(payment(), 'ORDER_CANCELLED', 'evt-1', NOW);

      // Assess
      expect(flagged).toMatchObject({ reversalRequested: true });
      expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { pk: `PAYMENT#${PAYMENT_ID}`, sk: 'PAYMENT' },
        UpdateExpression:
          'SET reversalRequested = :true, reversalReason = if_not_exists(reversalReason, :reason), reversalCausationId = if_not_exists(reversalCausationId, :cause), reconcileShard = :shard, reconcileAt = :at, updatedAt = :now REMOVE #outbox',
        ConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: {
          ':true': true,
          ':reason': 'ORDER_CANCELLED',
          ':cause': 'evt-1',
          ':shard': reconcileShardOf(PAYMENT_ID),
          ':at': NOW.toISOString(),
          ':now': NOW.toISOString(),
          ':status': 'AWAITING_STATUS',
        },
        ReturnValues: 'ALL_NEW',
      });
    });

    it('leaves an AUTHORIZING payment to the reconciler only at its deadline', async () => {
      // Prepare
      doc.on(UpdateCommand).resolves({ Attributes: payment({ status: 'AUTHORIZING' }) });

      // Act
      await store().requestReversal(payment({ status: 'AUTHORIZING' }), 'ORDER_CANCELLED', 'evt-1', NOW);

      // Assess
      expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
        ':at': DEADLINE,
        ':status': 'AUTHORIZING',
      });
    });

    it('reports undefined when the status changed since it was read, and wraps any other failure', async () => {
      // Prepare
      doc.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(new Error('Internal server error'));

      // Act
      const flagged = await store().requestReversal(payment(), 'ORDER_CANCELLED', 'evt-1', NOW);
      const failing = store().requestReversal(payment(), 'ORDER_CANCELLED', 'evt-1', NOW);

      // Assess
      expect(flagged).toBeUndefined();
      await expect(failing).rejects.toBeInstanceOf(PaymentWriteError);
    });
  });

  describe('Method: failUnreleased', () => {
    it('fails an open payment with PaymentFailed, keeping it in the reconcile index owing its release', async () => {
      // Prepare
      doc.on(UpdateCommand).resolves({});

      // Act
      const failed = await store().failUnreleased(
        payment(),
        'AWAITING_STATUS',
        'x'.repeat(2000),
        { attempts: 0, statusChecks: 4 },
        NOW,
      );

      // Assess
      expect(failed).toBe(true);
      const update = doc.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(update).toMatchObject({
        UpdateExpression:
          'SET #status = :failed, failureReason = :reason, attempts = :attempts, statusChecks = :checks, settledAt = :now, updatedAt = :now, lastError = :detail, reversalRequested = :true, reversalReason = if_not_exists(reversalReason, :reversalReason), reconcileShard = :shard, reconcileAt = :now, #outbox = :outbox',
        ConditionExpression: '#status = :from',
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':reason': 'DEADLINE_EXCEEDED',
          ':attempts': 1,
          ':checks': 4,
          ':detail': 'x'.repeat(1024),
          ':shard': reconcileShardOf(PAYMENT_ID),
          ':from': 'AWAITING_STATUS',
        },
      });
      expect(outboxEventOf(update)).toMatchObject({
        eventType: 'PaymentFailed',
        payload: { reason: 'DEADLINE_EXCEEDED', detail: 'x'.repeat(1024), attempts: 1 },
      });
    });
  });

  describe('Method: nextWorkflowRun', () => {
    it('moves an awaiting payment from a later run on only from that run', async () => {
      // Prepare
      doc.on(UpdateCommand).resolves({ Attributes: payment({ workflowRun: 3 }) });

      // Act
      const moved = await store().nextWorkflowRun(PAYMENT_ID, 2, NOW);

      // Assess
      expect(moved?.workflowRun).toBe(3);
      expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression: 'SET workflowRun = :next, updatedAt = :now REMOVE #outbox',
        ConditionExpression: '#status = :awaiting AND workflowRun = :run',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
        ExpressionAttributeValues: { ':next': 3, ':run': 2 },
      });
    });

    it('reports undefined when another run moved it first, and wraps any other failure', async () => {
      // Prepare
      doc.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(new Error('Internal server error'));

      // Act
      const lost = await store().nextWorkflowRun(PAYMENT_ID, 1, NOW);
      const failing = store().nextWorkflowRun(PAYMENT_ID, 1, NOW);

      // Assess
      expect(lost).toBeUndefined();
      await expect(failing).rejects.toBeInstanceOf(PaymentWriteError);
    });
  });

  describe('Method: releaseNotNeeded', () => {
    it('reports false for a payment no longer FAILED and wraps any other failure', async () => {
      // Prepare
      doc.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(new Error('Internal server error'));

      // Act
      const lost = await store().releaseNotNeeded(payment({ status: 'FAILED' }), NOW);
      const failing = store().releaseNotNeeded(payment({ status: 'FAILED' }), NOW);

      // Assess
      expect(lost).toBe(false);
      await expect(failing).rejects.toBeInstanceOf(PaymentWriteError);
    });
  });

  describe('Method: findDue', () => {
    it('queries every shard of the reconcile index for payments due before the cutoff, most overdue first', async () => {
      // Prepare
      doc.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: Record<string, string> }) => {
        const shard = input.ExpressionAttributeValues[':shard'];
        return {
          Items: [payment({ paymentId: `pay-${shard}`, reconcileAt: `2025-03-01T11:0${shard}:00.000Z` })],
        };
      });

      // Act
      const due = await store().findDue(NOW, 3);

      // Assess
      expect(doc.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual(
        ['0', '1', '2', '3'].map((shard) => ({
          TableName: TABLE,
          IndexName: 'reconcile',
          KeyConditionExpression: 'reconcileShard = :shard AND reconcileAt < :cutoff',
          ExpressionAttributeValues: { ':shard': shard, ':cutoff': NOW.toISOString() },
          ExclusiveStartKey: undefined,
          Limit: 3,
        })),
      );
      expect(due.map((item) => item.paymentId)).toEqual(['pay-0', 'pay-1', 'pay-2']);
    });
  });

  describe('Method: countCheck', () => {
    it('passes a failure other than its condition through', async () => {
      // Prepare
      const failure = new Error('Internal server error');
      doc.on(UpdateCommand).rejects(failure);

      // Act
      const run = store().countCheck(PAYMENT_ID, NOW);

      // Assess
      await expect(run).rejects.toBe(failure);
    });
  });
});
