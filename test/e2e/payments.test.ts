import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { admin, customer, type Session } from '#test/helpers/auth';
import {
  documentClient,
  http,
  postOrder,
  scanAll,
  startRuntime,
  tableName,
} from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

const STAND = '55555555-5555-5555-5555-555555555555';
/** A payment's deadline in these tests (PAYMENT_DEADLINE_SECONDS of the payment consumer). */
const DEADLINE_SECONDS = '3';
/** Nothing listens there: every call fails at once, like a PSP outage. */
const UNREACHABLE_PSP = 'http://127.0.0.1:9/psp';

interface OrderView {
  orderId: string;
  status: string;
  history: { status: string; reason: string }[];
}

interface PspView {
  status?: string;
  money?: { authorizedMinor: number; capturedMinor: number; voidedMinor: number; refundedMinor: number };
}

/**
 * The payment service when the PSP and the workflow do not behave: a PSP that settles after the
 * deadline, a PSP outage at the deadline, a status workflow that fails, an order cancelled while its
 * payment is open. Faults and settings go through the local control plane (the Lambda and Step
 * Functions APIs) and the mock PSP's `tok_late`; the invariant checked at the end of each: a
 * cancelled order holds nothing at the PSP.
 */
describe('End to end: payments are never left waiting, and never charged without an order', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let keySeq = 0;
  let shopper: Session;
  let operator: Session;

  beforeAll(async () => {
    runtime = await startRuntime({ timeScale: 50, functionConcurrency: 4 });
    db = documentClient(runtime);
    shopper = await customer(runtime, 'payments-shopper');
    operator = await admin(runtime);
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  /** Places an order of the shopper; `label` names the case in the test only. */
  const place = async (_label: string, token: string) => {
    const response = await postOrder(
      runtime.apiUrl,
      { items: [{ productId: STAND, quantity: 1 }], payment: { method: 'card', token } },
      `payments-${Date.now()}-${keySeq++}`,
      shopper.headers,
    );
    expect(response.status).toBe(202);
    return (response.body as OrderView).orderId;
  };

  const order = async (orderId: string) =>
    (await http(runtime.apiUrl, `/orders/${orderId}`, { headers: shopper.headers })).body as OrderView;

  const orderWhere = (orderId: string, holds: (view: OrderView) => boolean, description: string) =>
    waitFor(
      async () => {
        const view = await order(orderId);
        return holds(view) ? view : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200, description: `order ${orderId}: ${description}` },
    );

  const cancelled = (orderId: string) =>
    orderWhere(orderId, (view) => view.status === 'CANCELLED', 'is CANCELLED');

  /** The mock PSP's API key, from the secret the payment service reads. */
  const pspApiKey = () => {
    const name = runtime.secrets?.names().find((candidate) => candidate.includes('MockPsp'));
    if (!name || !runtime.secrets) throw new Error('The templates hold no mock PSP API key');
    return runtime.secrets.value(name);
  };

  /** What the mock PSP holds for the order's payment (its money by state), asked on its own API. */
  const psp = async (orderId: string) =>
    (
      await http(runtime.apiUrlOf('mock-psp'), `/payments/pay-${orderId}`, {
        headers: { 'x-api-key': pspApiKey() },
      })
    ).body as PspView;

  const heldAtPsp = (view: PspView) => (view.money?.authorizedMinor ?? 0) + (view.money?.capturedMinor ?? 0);

  const payment = async (orderId: string) =>
    (await scanAll(db, tableName(runtime, 'PaymentsTable'))).find(
      (item) => item.pk === `PAYMENT#pay-${orderId}`,
    );

  const openDeadLetters = async (orderId: string) => {
    const { items } = (
      await http(runtime.apiUrl, '/admin/dead-letters?status=OPEN&limit=100', { headers: operator.headers })
    ).body as {
      items: { key: string }[];
    };
    return items.filter((item) => item.key === orderId);
  };

  /** Sets variables of a function, as UpdateFunctionConfiguration would, and returns their old values. */
  const configure = async (fragment: string, changes: Record<string, string>) => {
    const fn = runtime.fn(fragment);
    const before = Object.fromEntries(
      Object.keys(changes).map((name) => [name, String(fn.definition.environment[name] ?? '')]),
    );
    await fn.reconfigure(changes);
    return () => fn.reconfigure(before);
  };

  /** The payment status workflow's execution of the order's payment, as DescribeExecution answers. */
  const execution = async (orderId: string) => {
    const started = [...(runtime.stepFunctions?.executions.values() ?? [])].find(
      (candidate) => candidate.name === `pay-${orderId}`,
    );
    if (!started) return undefined;
    const described = await http(runtime.controlPlaneUrl, '/', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.DescribeExecution',
      },
      body: JSON.stringify({ executionArn: started.executionArn }),
    });
    return described.body as { status: string; error?: string };
  };

  it('voids the payment of an order the order reconciler times out while its payment is pending', async () => {
    // Prepare: a payment that stays pending at the PSP well past the order's timeout.
    const restorePsp = await configure('MockPspCreatePayment', { PSP_LATE_SETTLE_MS: '600000' });
    const orderId = await place('c-timed-out', 'tok_late');
    await orderWhere(orderId, (view) => view.status === 'PAYMENT_PENDING', 'awaits its payment');
    const restoreOrders = await configure('Orders-Reconciler', { ORDER_TIMEOUT_SECONDS: '1' });

    // Act
    const reconciled = await runtime.triggerSchedule('Orders-Reconciler');
    const view = await orderWhere(
      orderId,
      (current) => current.history.some((entry) => /voided \(ORDER_CANCELLED\)/.test(entry.reason)),
      'records the void of its payment',
    );
    await restoreOrders();
    await restorePsp();

    // Assess
    expect(reconciled.ok && reconciled.payload).toMatchObject({ timedOut: [orderId] });
    expect(view.status).toBe('CANCELLED');
    const held = await psp(orderId);
    expect(held).toMatchObject({ status: 'VOIDED', money: { voidedMinor: 4999 } });
    expect(heldAtPsp(held)).toBe(0);
    expect(await payment(orderId)).toMatchObject({ status: 'VOIDED', reversalReason: 'ORDER_CANCELLED' });
    expect(await openDeadLetters(orderId)).toEqual([]);
  });

  it('cancels the order and voids its payment when the PSP would settle only after the deadline', async () => {
    // Prepare
    const restoreDeadline = await configure('Payments-ConsumerFunction', {
      PAYMENT_DEADLINE_SECONDS: DEADLINE_SECONDS,
    });
    const restorePsp = await configure('MockPspCreatePayment', { PSP_LATE_SETTLE_MS: '600000' });

    // Act
    const orderId = await place('c-late-void', 'tok_late');
    const view = await cancelled(orderId);
    await orderWhere(
      orderId,
      (current) => current.history.some((entry) => /voided \(DEADLINE_EXCEEDED\)/.test(entry.reason)),
      'records the void of its payment',
    );
    await restorePsp();
    await restoreDeadline();

    // Assess
    expect(view.history.map((entry) => entry.status)).toEqual(
      expect.arrayContaining(['PAYMENT_PENDING', 'CANCELLED']),
    );
    expect(view.history.find((entry) => entry.status === 'CANCELLED')?.reason).toMatch(/deadline/i);
    const held = await psp(orderId);
    expect(held.status).toBe('VOIDED');
    expect(heldAtPsp(held)).toBe(0);
    expect(await payment(orderId)).toMatchObject({ status: 'VOIDED', failureReason: 'DEADLINE_EXCEEDED' });
    expect(await openDeadLetters(orderId)).toEqual([]);
  });

  it('cancels the order at the deadline during a PSP outage and refunds the payment the PSP settled after it', async () => {
    // Prepare: the status workflow cannot reach the PSP; the PSP settles 8 s after the authorization.
    const restoreDeadline = await configure('Payments-ConsumerFunction', {
      PAYMENT_DEADLINE_SECONDS: DEADLINE_SECONDS,
    });
    const restorePsp = await configure('MockPspCreatePayment', { PSP_LATE_SETTLE_MS: '8000' });
    const restoreChecks = await configure('Payments-CheckStatus', { PSP_BASE_URL: UNREACHABLE_PSP });
    const orderId = await place('c-late-refund', 'tok_late');
    const atDeadline = await cancelled(orderId);
    const owing = await payment(orderId);
    const captured = await waitFor(
      async () => {
        const view = await psp(orderId);
        return view.status === 'SUCCEEDED' ? view : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: 'the PSP settles the payment of the cancelled order',
      },
    );
    await restoreChecks();
    await restorePsp();
    await restoreDeadline();
    const restoreGrace = await configure('Payments-Reconciler', { RECONCILE_GRACE_SECONDS: '0' });

    // Act
    const reconciled = await runtime.triggerSchedule('Payments-Reconciler');
    const view = await orderWhere(
      orderId,
      (current) => current.history.some((entry) => /refunded \(DEADLINE_EXCEEDED\)/.test(entry.reason)),
      'records the refund of its payment',
    );
    await restoreGrace();

    // Assess
    expect(atDeadline.history.find((entry) => entry.status === 'CANCELLED')?.reason).toMatch(/deadline/i);
    expect(owing).toMatchObject({
      status: 'FAILED',
      reversalRequested: true,
      reversalReason: 'DEADLINE_EXCEEDED',
    });
    expect(heldAtPsp(captured)).toBe(4999);
    expect(reconciled.ok && reconciled.payload).toMatchObject({ refunded: 1 });
    expect(view.status).toBe('CANCELLED');
    const held = await psp(orderId);
    expect(held).toMatchObject({ status: 'REFUNDED', money: { refundedMinor: 4999 } });
    expect(heldAtPsp(held)).toBe(0);
    expect(await payment(orderId)).toMatchObject({ status: 'REFUNDED' });
    expect((await payment(orderId))?.reconcileShard).toBeUndefined();
    expect(await openDeadLetters(orderId)).toEqual([]);
  });

  it('finishes the order through the reconciler when CheckStatus fails until its execution fails', async () => {
    // Prepare: the status task cannot reach its table, so every check and the deadline step fail.
    const restoreDeadline = await configure('Payments-ConsumerFunction', {
      PAYMENT_DEADLINE_SECONDS: DEADLINE_SECONDS,
    });
    const restoreChecks = await configure('Payments-CheckStatus', {
      PAYMENTS_TABLE_NAME: 'unavailable-table',
    });
    const orderId = await place('c-workflow-failed', 'tok_pending');
    const failed = await waitFor(
      async () => {
        const described = await execution(orderId);
        return described && described.status !== 'RUNNING' ? described : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: 'the status workflow execution ends' },
    );
    const stuck = await order(orderId);
    await restoreChecks();
    await restoreDeadline();
    const restoreGrace = await configure('Payments-Reconciler', { RECONCILE_GRACE_SECONDS: '0' });

    // Act
    const reconciled = await runtime.triggerSchedule('Payments-Reconciler');
    const view = await cancelled(orderId);
    await restoreGrace();

    // Assess
    expect(failed).toMatchObject({ status: 'FAILED', error: 'PaymentLeftToReconciler' });
    expect(stuck.status).toBe('PAYMENT_PENDING');
    expect(reconciled.ok && reconciled.payload).toMatchObject({ voided: 1 });
    expect(view.history.find((entry) => entry.status === 'CANCELLED')?.reason).toMatch(/deadline/i);
    const held = await psp(orderId);
    expect(held.status).toBe('VOIDED');
    expect(heldAtPsp(held)).toBe(0);
    expect(await openDeadLetters(orderId)).toEqual([]);
  });
});
