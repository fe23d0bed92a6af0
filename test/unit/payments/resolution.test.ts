import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PaymentStore } from '#functions/payments/payment-store';
import { type PaymentProvider, PspConflictError, PspTransientError } from '#functions/payments/provider';
import { isPast, PaymentResolver } from '#functions/payments/resolution';
import { conditionFailed, DEADLINE, NOW, outboxEventsOf, payment, pspDouble, TABLE } from './helpers';

const doc = mockClient(DynamoDBDocumentClient);
const options = { now: NOW, deadlinePassed: true, counts: { attempts: 1, statusChecks: 1 } };

function setup(provider: Partial<PaymentProvider> = {}) {
  const psp = pspDouble(provider);
  const resolver = new PaymentResolver({
    store: new PaymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE),
    provider: psp,
    timeoutMs: 1_500,
  });
  return { resolver, psp };
}

/** The inputs of the payment updates, in order. */
const updates = () => doc.commandCalls(UpdateCommand).map((call) => call.args[0].input);

describe('Class: PaymentResolver', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(UpdateCommand).resolves({});
  });

  describe('Method: apply', () => {
    it('records a cancelled order’s payment the PSP never received as voided, without a reference', async () => {
      // Prepare
      const { resolver, psp } = setup({ void: async () => ({ status: 'NOT_FOUND' }) });
      const flagged = payment({ reversalRequested: true, reversalReason: 'ORDER_CANCELLED' });

      // Act
      const resolved = await resolver.apply(
        flagged,
        { status: 'NOT_FOUND' },
        { ...options, deadlinePassed: false },
      );

      // Assess
      expect(resolved).toEqual({ kind: 'RELEASED', status: 'VOIDED' });
      expect(psp.authorize).not.toHaveBeenCalled();
      expect(updates()).toHaveLength(1);
      const events = outboxEventsOf(updates()[0]);
      expect(events.map((event) => event.eventType)).toEqual(['PaymentVoided']);
      expect(events[0]?.payload).not.toHaveProperty('pspReference');
    });

    it('closes a failed payment owing a release when the PSP holds nothing for it', async () => {
      // Prepare
      const { resolver } = setup({ void: async () => ({ status: 'NOT_FOUND' }) });
      const owing = payment({
        status: 'FAILED',
        reversalRequested: true,
        reversalReason: 'DEADLINE_EXCEEDED',
      });

      // Act
      const resolved = await resolver.apply(owing, { status: 'PENDING', pspReference: 'psp_1' }, options);

      // Assess
      expect(resolved).toEqual({ kind: 'NOTHING_HELD', status: 'FAILED' });
      expect(updates()).toHaveLength(1);
      expect(updates()[0]).toMatchObject({
        UpdateExpression: 'SET updatedAt = :now REMOVE reconcileShard, #outbox',
        ConditionExpression: '#status = :failed',
        ExpressionAttributeNames: { '#status': 'status', '#outbox': 'outbox' },
      });
      expect(outboxEventsOf(updates()[0])).toEqual([]);
    });

    it('reads the payment again when another run closed it first', async () => {
      // Prepare
      const { resolver } = setup();
      const owing = payment({ status: 'FAILED', reversalRequested: true });
      doc.on(UpdateCommand).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'VOIDED', reversalRequested: true }) });

      // Act
      const resolved = await resolver.apply(owing, { status: 'DECLINED', pspReference: 'psp_1' }, options);

      // Assess
      expect(resolved).toEqual({ kind: 'UNCHANGED', status: 'VOIDED' });
    });

    it('reads the payment again when another run recorded the release first', async () => {
      // Prepare
      const { resolver } = setup();
      doc.on(UpdateCommand, { ExpressionAttributeValues: { ':to': 'VOIDED' } }).rejects(conditionFailed());
      doc.on(GetCommand).resolves({ Item: payment({ status: 'VOIDED' }) });

      // Act
      const resolved = await resolver.apply(payment(), { status: 'VOIDED', pspReference: 'psp_1' }, options);

      // Assess
      expect(resolved).toEqual({ kind: 'UNCHANGED', status: 'VOIDED' });
    });

    it('asks for the status when a refund conflicts, and voids a payment that turns out pending', async () => {
      // Prepare
      const { resolver, psp } = setup({
        refund: async () => {
          throw new PspConflictError('PSP answered 409');
        },
        getStatus: async () => ({ status: 'PENDING', pspReference: 'psp_1' }),
      });
      const flagged = payment({ reversalRequested: true, reversalReason: 'ORDER_CANCELLED' });

      // Act
      const resolved = await resolver.apply(flagged, { status: 'SUCCEEDED', pspReference: 'psp_1' }, options);

      // Assess
      expect(resolved).toEqual({ kind: 'RELEASED', status: 'VOIDED' });
      expect(psp.refund).toHaveBeenCalledTimes(1);
      expect(psp.getStatus).toHaveBeenCalledTimes(1);
      expect(psp.void).toHaveBeenCalledTimes(1);
    });

    it('gives up with a retryable conflict when the PSP’s answers keep changing', async () => {
      // Prepare
      const { resolver } = setup({ void: async () => ({ status: 'PENDING', pspReference: 'psp_1' }) });

      // Act
      const run = resolver.apply(payment(), { status: 'PENDING', pspReference: 'psp_1' }, options);

      // Assess
      await expect(run).rejects.toBeInstanceOf(PspConflictError);
      await expect(run).rejects.toMatchObject({ retryable: true });
    });
  });

  describe('Method: finish', () => {
    it('reports the status another run left when it failed the payment first', async () => {
      // Prepare
      const { resolver } = setup({
        getStatus: async () => {
          throw new PspTransientError('PSP answered 503');
        },
      });
      doc
        .on(UpdateCommand, { ExpressionAttributeValues: { ':failed': 'FAILED' } })
        .rejects(conditionFailed());
      doc
        .on(GetCommand)
        .resolvesOnce({ Item: payment() })
        .resolves({ Item: payment({ status: 'VOIDED' }) });

      // Act
      const resolved = await resolver.finish(payment(), {
        now: NOW,
        deadlinePassed: true,
        counts: options.counts,
      });

      // Assess
      expect(resolved).toEqual({ kind: 'UNCHANGED', status: 'VOIDED' });
    });

    it('defers an open payment before its deadline when the PSP cannot be reached', async () => {
      // Prepare
      const { resolver } = setup({
        getStatus: async () => {
          throw new PspTransientError('PSP answered 503');
        },
      });
      doc.on(GetCommand).resolves({ Item: payment({ reversalRequested: true }) });

      // Act
      const resolved = await resolver.finish(payment({ reversalRequested: true }), {
        now: new Date('2025-03-01T12:05:00.000Z'),
        counts: options.counts,
      });

      // Assess
      expect(resolved).toMatchObject({ kind: 'DEFERRED', status: 'AWAITING_STATUS' });
      expect(updates()).toHaveLength(0);
    });

    it('passes an unexpected error through', async () => {
      // Prepare
      const failure = new TypeError('bug');
      const { resolver } = setup({
        getStatus: async () => {
          throw failure;
        },
      });

      // Act
      const run = resolver.finish(payment(), { now: NOW, counts: options.counts });

      // Assess
      await expect(run).rejects.toBe(failure);
    });
  });
});

describe('Function: isPast', () => {
  it('says whether a deadline has passed, and that a missing or malformed one has not', () => {
    // Act
    const results = [
      isPast(DEADLINE, new Date(DEADLINE)),
      isPast(DEADLINE, NOW),
      isPast(undefined, NOW),
      isPast('soon', NOW),
    ];

    // Assess
    expect(results).toEqual([true, false, false, false]);
  });
});
