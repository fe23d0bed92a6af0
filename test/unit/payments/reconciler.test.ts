import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PaymentItem } from '#functions/payments/model';
import { PaymentStore } from '#functions/payments/payment-store';
import { type PaymentProvider, PspTransientError } from '#functions/payments/provider';
import { PaymentReconciler } from '#functions/payments/reconciler';
import { DEADLINE, outboxEventOf, outboxEventsOf, PAYMENT_ID, payment, pspDouble, TABLE } from './helpers';

const doc = mockClient(DynamoDBDocumentClient);
/** Ten minutes after the sample payment's deadline. */
const LATER = new Date('2025-03-01T12:25:01.000Z');

function setup(provider: Partial<PaymentProvider> = {}) {
  const psp = pspDouble(provider);
  const reconciler = new PaymentReconciler({
    store: new PaymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE),
    provider: psp,
    timeoutMs: 1_500,
    graceSeconds: 300,
    limit: 50,
  });
  return { reconciler, psp };
}

/** The inputs of the payment updates, in order. */
const updates = () => doc.commandCalls(UpdateCommand).map((call) => call.args[0].input);

/** The index holds `found` (in shard 0) and the table the same payments. */
function due(...found: PaymentItem[]) {
  doc.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: input.ExpressionAttributeValues[':shard'] === '0' ? found : [],
  }));
  for (const item of found) {
    doc.on(GetCommand, { Key: { pk: item.pk, sk: 'PAYMENT' } }).resolves({ Item: item });
  }
}

describe('Class: PaymentReconciler', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(UpdateCommand).resolves({});
  });

  it('reads only the payments due before now minus the grace period from the reconcile index', async () => {
    // Prepare
    const { reconciler } = setup();
    due();

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toEqual({
      found: 0,
      finished: 0,
      voided: 0,
      refunded: 0,
      failedUnreleased: 0,
      deferred: 0,
      skipped: 0,
      errors: [],
      correlationIds: [],
    });
    expect(doc.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      IndexName: 'reconcile',
      ExpressionAttributeValues: { ':cutoff': '2025-03-01T12:20:01.000Z' },
    });
  });

  it('voids a payment left awaiting its status past its deadline and fails it with DEADLINE_EXCEEDED', async () => {
    // Prepare
    const { reconciler, psp } = setup();
    due(payment({ reconcileShard: '0', reconcileAt: DEADLINE, pspReference: 'psp_1' }));

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 1, voided: 1, deferred: 0, errors: [] });
    expect(psp.void).toHaveBeenCalledWith(PAYMENT_ID, { timeoutMs: 1_500 });
    expect(updates()).toHaveLength(1);
    const events = outboxEventsOf(updates()[0]);
    expect(
      events.map((event) => [event.eventType, 'reason' in event.payload ? event.payload.reason : undefined]),
    ).toEqual([
      ['PaymentFailed', 'DEADLINE_EXCEEDED'],
      ['PaymentVoided', 'DEADLINE_EXCEEDED'],
    ]);
  });

  it('settles a payment left AUTHORIZING by a crashed run with what the PSP has', async () => {
    // Prepare
    const { reconciler, psp } = setup({
      getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_3' }),
    });
    due(payment({ status: 'AUTHORIZING', reconcileShard: '0', reconcileAt: DEADLINE }));

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 1 });
    expect(psp.authorize).not.toHaveBeenCalled();
    expect(updates()).toHaveLength(1);
    const events = outboxEventsOf(updates()[0]);
    expect(events.map((event) => event.eventType)).toEqual(['PaymentSucceeded']);
  });

  it('refunds a failed payment that owes a release once the PSP reports it captured after all', async () => {
    // Prepare
    const { reconciler, psp } = setup({
      getStatus: async () => ({ status: 'SUCCEEDED', pspReference: 'psp_4' }),
    });
    due(
      payment({
        status: 'FAILED',
        failureReason: 'DEADLINE_EXCEEDED',
        reversalRequested: true,
        reversalReason: 'DEADLINE_EXCEEDED',
        reconcileShard: '0',
        reconcileAt: DEADLINE,
      }),
    );

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 1, refunded: 1 });
    expect(psp.refund).toHaveBeenCalledTimes(1);
    expect(updates()).toHaveLength(1);
    const release = updates()[0];
    expect(release?.ExpressionAttributeValues).toMatchObject({
      ':from': 'FAILED',
      ':to': 'REFUNDED',
    });
    expect(
      outboxEventsOf(release).map((event) => [
        event.eventType,
        'reason' in event.payload ? event.payload.reason : undefined,
      ]),
    ).toEqual([['PaymentRefunded', 'DEADLINE_EXCEEDED']]);
  });

  it('fails an overdue payment owing its release when the PSP cannot be reached, and counts it', async () => {
    // Prepare
    const { reconciler } = setup({
      getStatus: async () => {
        throw new PspTransientError('PSP answered 503');
      },
    });
    due(payment({ reconcileShard: '0', reconcileAt: DEADLINE }));

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 0, failedUnreleased: 1 });
    expect(updates()).toHaveLength(1);
    const update = updates()[0];
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':failed': 'FAILED', ':true': true });
    expect(outboxEventOf(update)).toMatchObject({
      eventType: 'PaymentFailed',
      payload: { reason: 'DEADLINE_EXCEEDED' },
    });
  });

  it('defers a release the PSP cannot take now, leaving the payment as it is', async () => {
    // Prepare
    const { reconciler } = setup({
      getStatus: async () => {
        throw new PspTransientError('PSP answered 503');
      },
    });
    due(
      payment({ status: 'SUCCEEDED', reversalRequested: true, reconcileShard: '0', reconcileAt: DEADLINE }),
    );

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 0, deferred: 1 });
    expect(updates()).toHaveLength(0);
  });

  it('skips a payment the index still lists but whose work another run finished', async () => {
    // Prepare
    const { reconciler, psp } = setup();
    due(payment({ reconcileShard: '0', reconcileAt: DEADLINE }));
    doc.on(GetCommand).resolves({ Item: payment({ status: 'SUCCEEDED' }) });

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 1 });
    expect(psp.getStatus).not.toHaveBeenCalled();
  });

  it('reports a payment it could not write and goes on with the others', async () => {
    // Prepare
    const { reconciler } = setup();
    const failing = payment({ reconcileShard: '0', reconcileAt: DEADLINE });
    const other = payment({
      pk: 'PAYMENT#pay-other',
      paymentId: 'pay-other',
      reconcileShard: '0',
      reconcileAt: DEADLINE,
    });
    due(failing, other);
    const cause = new Error('ValidationException');
    doc.on(UpdateCommand, { Key: { pk: failing.pk } }).rejects(cause);

    // Act
    const report = await reconciler.run(LATER);

    // Assess
    expect(report.found).toBe(2);
    expect(report.finished).toBe(1);
    expect(report.errors).toEqual([{ paymentId: PAYMENT_ID, error: expect.objectContaining({ cause }) }]);
  });

  it('stops taking payments on when the invocation runs out of time', async () => {
    // Prepare
    const { reconciler, psp } = setup();
    due(payment({ reconcileShard: '0', reconcileAt: DEADLINE }));

    // Act
    const report = await reconciler.run(LATER, () => false);

    // Assess
    expect(report).toMatchObject({ found: 1, finished: 0, skipped: 1 });
    expect(psp.getStatus).not.toHaveBeenCalled();
  });
});
