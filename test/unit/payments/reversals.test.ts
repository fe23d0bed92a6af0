import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PaymentItem } from '#functions/payments/model';
import { PaymentStore } from '#functions/payments/payment-store';
import { type PaymentProvider, PspCircuitOpenError, PspConflictError } from '#functions/payments/provider';
import { PaymentNotCreatedYetError, PaymentReversals } from '#functions/payments/reversals';
import { sample } from '../events/helpers';
import {
  conditionFailed,
  NOW,
  ORDER_ID,
  outboxEventsOf,
  PAYMENT_ID,
  payment,
  pspDouble,
  TABLE,
} from './helpers';

const doc = mockClient(DynamoDBDocumentClient);
const requested = { ...sample('PaymentReversalRequested') };
requested.payload = { orderId: ORDER_ID, paymentId: PAYMENT_ID, reason: 'ORDER_CANCELLED' };

function setup(provider: Partial<PaymentProvider> = {}) {
  const psp = pspDouble(provider);
  const reversals = new PaymentReversals({
    store: new PaymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE),
    provider: psp,
    timeoutMs: 1_500,
  });
  return { reversals, psp };
}

/** The inputs of the payment updates, in order: the reversal flag, then the release. */
const updates = () => doc.commandCalls(UpdateCommand).map((call) => call.args[0].input);

/** The payment as stored, and the same payment once `requestReversal` flagged it. */
function stored(overrides: Partial<PaymentItem>) {
  const before = payment(overrides);
  const flagged = {
    ...before,
    reversalRequested: true,
    reversalReason: 'ORDER_CANCELLED' as const,
    reversalCausationId: requested.eventId,
  };
  doc.on(GetCommand).resolves({ Item: before });
  doc.on(UpdateCommand).resolves({ Attributes: flagged });
  return { before, flagged };
}

describe('Class: PaymentReversals', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('voids a payment still awaiting its status and emits PaymentVoided caused by the request', async () => {
    // Prepare
    const { reversals, psp } = setup();
    stored({ status: 'AWAITING_STATUS', pspReference: 'psp_1' });

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'RELEASED', status: 'VOIDED' });
    expect(psp.getStatus).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 1_500 });
    expect(psp.void).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 1_500 });
    expect(updates()).toHaveLength(2);
    const [flag, release] = updates();
    expect(flag).toMatchObject({
      ConditionExpression: '#status = :status',
      ExpressionAttributeValues: { ':reason': 'ORDER_CANCELLED', ':cause': requested.eventId },
    });
    expect(outboxEventsOf(flag)).toEqual([]);
    expect(release?.ExpressionAttributeValues).toMatchObject({
      ':from': 'AWAITING_STATUS',
      ':to': 'VOIDED',
    });
    expect(outboxEventsOf(release)).toEqual([
      expect.objectContaining({
        eventType: 'PaymentVoided',
        causationId: requested.eventId,
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

  it('refunds a succeeded payment and emits PaymentRefunded', async () => {
    // Prepare
    const { reversals, psp } = setup({
      getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_2' }),
    });
    stored({ status: 'SUCCEEDED', pspReference: 'psp_2' });

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'RELEASED', status: 'REFUNDED' });
    expect(psp.refund).toHaveBeenCalledTimes(1);
    expect(psp.void).not.toHaveBeenCalled();
    expect(updates()).toHaveLength(2);
    const release = updates()[1];
    expect(release?.ExpressionAttributeValues).toMatchObject({
      ':from': 'SUCCEEDED',
      ':to': 'REFUNDED',
    });
    expect(outboxEventsOf(release).map((event) => event.eventType)).toEqual(['PaymentRefunded']);
  });

  it('refunds a payment the PSP captured before the void arrived', async () => {
    // Prepare
    const { reversals, psp } = setup({
      void: async () => {
        throw new PspConflictError('PSP answered 409');
      },
    });
    psp.getStatus
      .mockResolvedValueOnce({ status: 'PENDING', pspReference: 'psp_1' })
      .mockResolvedValue({ status: 'SUCCEEDED', pspReference: 'psp_1' });
    stored({ status: 'AWAITING_STATUS' });

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'RELEASED', status: 'REFUNDED' });
    expect(psp.void).toHaveBeenCalledTimes(1);
    expect(psp.refund).toHaveBeenCalledTimes(1);
  });

  it.each(['FAILED', 'VOIDED', 'REFUNDED'] as const)(
    'changes nothing for a %s payment, which holds nothing at the PSP',
    async (status) => {
      // Prepare
      const { reversals, psp } = setup();
      stored({ status });

      // Act
      const outcome = await reversals.reverse(requested, NOW);

      // Assess
      expect(outcome).toEqual({ kind: 'NOTHING_TO_RELEASE', status });
      expect(updates()).toHaveLength(0);
      expect(psp.getStatus).not.toHaveBeenCalled();
    },
  );

  it('records the request for a payment being authorized and leaves the release to that run', async () => {
    // Prepare
    const { reversals, psp } = setup();
    stored({ status: 'AUTHORIZING' });

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'REQUESTED', status: 'AUTHORIZING' });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(psp.getStatus).not.toHaveBeenCalled();
    expect(psp.void).not.toHaveBeenCalled();
  });

  it('records the request and leaves the release to the reconciler when the PSP circuit is open', async () => {
    // Prepare
    const { reversals } = setup({
      getStatus: async () => {
        throw new PspCircuitOpenError('circuit open');
      },
    });
    const { flagged } = stored({ status: 'SUCCEEDED', pspReference: 'psp_2' });
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: payment({ status: 'SUCCEEDED' }) })
      .resolves({ Item: flagged });

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'REQUESTED', status: 'SUCCEEDED' });
    expect(updates()).toHaveLength(1);
    expect(updates()[0]).toMatchObject({
      ConditionExpression: '#status = :status',
      ExpressionAttributeValues: { ':at': NOW.toISOString() },
    });
  });

  it('does not flag a redelivered request again, and releases what is still held', async () => {
    // Prepare
    const { reversals, psp } = setup();
    const { flagged } = stored({ status: 'AWAITING_STATUS' });
    doc.on(GetCommand).resolves({ Item: flagged });

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'RELEASED', status: 'VOIDED' });
    expect(updates()).toHaveLength(1);
    expect(updates()[0]).toMatchObject({
      ConditionExpression: '#status = :from',
      ExpressionAttributeValues: { ':from': 'AWAITING_STATUS', ':to': 'VOIDED' },
    });
    expect(psp.void).toHaveBeenCalledTimes(1);
  });

  it('reads the payment again when it changed between the read and the flag', async () => {
    // Prepare
    const { reversals, psp } = setup();
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: payment({ status: 'AWAITING_STATUS' }) })
      .resolves({ Item: payment({ status: 'FAILED' }) });
    doc.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const outcome = await reversals.reverse(requested, NOW);

    // Assess
    expect(outcome).toEqual({ kind: 'NOTHING_TO_RELEASE', status: 'FAILED' });
    expect(psp.void).not.toHaveBeenCalled();
  });

  it('waits with a retryable error for a payment that does not exist yet', async () => {
    // Prepare
    const { reversals } = setup();
    doc.on(GetCommand).resolves({});

    // Act
    const run = reversals.reverse(requested, NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(PaymentNotCreatedYetError);
    await expect(run).rejects.toMatchObject({ retryable: true, code: 'PAYMENT_NOT_CREATED_YET' });
  });
});
