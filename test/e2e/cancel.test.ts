import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClientConfig } from '#localstack/engines/index';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { customer, type Session } from '#test/helpers/auth';
import {
  documentClient,
  http,
  postOrder,
  scanAll,
  startRuntime,
  tableName,
} from '#test/helpers/local-runtime';
import { emittedEvents } from '#test/helpers/table-events';
import { waitFor } from '#test/helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';

interface OrderView {
  orderId: string;
  status: string;
  history: { status: string; reason: string }[];
}

interface PspView {
  status?: string;
  money?: { authorizedMinor: number; capturedMinor: number; voidedMinor: number; refundedMinor: number };
}

const COMPENSATION_EVENTS = ['OrderCancelled', 'StockReleaseRequested', 'PaymentReversalRequested'];

/**
 * A customer cancels their own order over HTTP (POST /orders/{orderId}/cancel): the order ends
 * CANCELLED with its stock back and its payment voided, each compensation and OrderCancelled emitted
 * once however often the customer asks; another customer's request and a refused body write nothing.
 * The mock PSP's `tok_late` keeps each payment open long enough for the order to be cancellable.
 */
describe('End to end: a customer cancels their order', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let keySeq = 0;
  let owner: Session;
  let stranger: Session;
  let restorePsp: () => Promise<void>;

  beforeAll(async () => {
    runtime = await startRuntime({ timeScale: 50, functionConcurrency: 4 });
    db = documentClient(runtime);
    owner = await customer(runtime, 'cancel-owner');
    stranger = await customer(runtime, 'cancel-stranger');
    const psp = runtime.fn('MockPspCreatePayment');
    const before = String(psp.definition.environment.PSP_LATE_SETTLE_MS ?? '');
    await psp.reconfigure({ PSP_LATE_SETTLE_MS: '600000' });
    restorePsp = () => psp.reconfigure({ PSP_LATE_SETTLE_MS: before });
  });

  afterAll(async () => {
    await restorePsp?.();
    db?.destroy();
    await runtime?.stop();
  });

  const place = async (token = 'tok_late') => {
    const response = await postOrder(
      runtime.apiUrl,
      { items: [{ productId: MOUSE, quantity: 2 }], payment: { method: 'card', token } },
      `cancel-${Date.now()}-${keySeq++}`,
      owner.headers,
    );
    expect(response.status).toBe(202);
    return (response.body as OrderView).orderId;
  };

  const cancel = (orderId: string, session: Session, body?: string) =>
    http(runtime.apiUrl, `/orders/${orderId}/cancel`, {
      method: 'POST',
      headers: { ...session.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });

  const order = async (orderId: string) =>
    (await http(runtime.apiUrl, `/orders/${orderId}`, { headers: owner.headers })).body as OrderView;

  const orderWhere = (orderId: string, holds: (view: OrderView) => boolean, description: string) =>
    waitFor(
      async () => {
        const view = await order(orderId);
        return holds(view) ? view : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: `order ${orderId}: ${description}` },
    );

  const stock = async () => {
    const response = await http(runtime.apiUrl, `/products/${MOUSE}`);
    return (response.body as { stock: number }).stock;
  };

  /** The events the orders table emitted for the order, by type, among those a cancellation emits. */
  const compensations = async (orderId: string) => {
    const emitted = await emittedEvents(
      localDynamoClientConfig(runtime.dynamoEndpoint),
      tableName(runtime, 'OrdersTable'),
    );
    const counts: Record<string, number> = {};
    for (const event of emitted) {
      if (event.aggregateId !== orderId || !COMPENSATION_EVENTS.includes(event.eventType)) continue;
      counts[event.eventType] = (counts[event.eventType] ?? 0) + 1;
    }
    return counts;
  };

  const pspApiKey = () => {
    const name = runtime.secrets?.names().find((candidate) => candidate.includes('MockPsp'));
    if (!name || !runtime.secrets) throw new Error('The templates hold no mock PSP API key');
    return runtime.secrets.value(name);
  };

  const psp = async (orderId: string) =>
    (
      await http(runtime.apiUrlOf('mock-psp'), `/payments/pay-${orderId}`, {
        headers: { 'x-api-key': pspApiKey() },
      })
    ).body as PspView;

  const payment = async (orderId: string) =>
    (await scanAll(db, tableName(runtime, 'PaymentsTable'))).find(
      (item) => item.pk === `PAYMENT#pay-${orderId}`,
    );

  it('cancels a fresh order: CANCELLED, its stock back, its payment voided, one OrderCancelled; a second cancel answers alike and compensates nothing more', async () => {
    // Prepare
    const before = await stock();
    const orderId = await place();

    // Act
    const first = await cancel(orderId, owner, JSON.stringify({ reason: 'ordered the wrong size' }));
    const voided = await orderWhere(
      orderId,
      (view) => view.history.some((entry) => /voided \(ORDER_CANCELLED\)/.test(entry.reason)),
      'records the void of its payment',
    );
    const restocked = await waitFor(async () => ((await stock()) === before ? before : undefined), {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'the stock of the cancelled order is back',
    });
    const second = await cancel(orderId, owner);

    // Assess
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ orderId, status: 'CANCELLED' });
    expect(voided.status).toBe('CANCELLED');
    expect(voided.history.find((entry) => entry.status === 'CANCELLED')?.reason).toBe(
      'Cancelled by the customer: ordered the wrong size',
    );
    expect(restocked).toBe(before);
    const held = await psp(orderId);
    expect(held).toMatchObject({ status: 'VOIDED' });
    expect((held.money?.authorizedMinor ?? 0) + (held.money?.capturedMinor ?? 0)).toBe(0);
    expect(await payment(orderId)).toMatchObject({ status: 'VOIDED', reversalReason: 'ORDER_CANCELLED' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(await order(orderId));
    expect(await compensations(orderId)).toEqual({
      OrderCancelled: 1,
      StockReleaseRequested: 1,
      PaymentReversalRequested: 1,
    });
  });

  it("answers another customer's cancel with 404 and a refused body with 400, writing nothing; the owner then cancels the order while its payment is pending", async () => {
    // Prepare
    const orderId = await place();
    await orderWhere(orderId, (view) => view.status === 'PAYMENT_PENDING', 'awaits its payment');
    const unknown = await cancel('01JN8S7QG0ZZZZZZZZZZZZZZZZ', stranger);

    // Act
    const foreign = await cancel(orderId, stranger, JSON.stringify({ reason: 'not mine' }));
    const refused = await Promise.all(
      [
        JSON.stringify({ reason: 'x'.repeat(201) }),
        JSON.stringify({ reason: 'fine', refund: 'cash' }),
        JSON.stringify({ reason: 7 }),
        '{"reason":',
      ].map((body) => cancel(orderId, owner, body)),
    );
    const untouched = await order(orderId);
    const written = await compensations(orderId);
    const cancelled = await cancel(orderId, owner);
    await orderWhere(
      orderId,
      (view) => view.history.some((entry) => /voided \(ORDER_CANCELLED\)/.test(entry.reason)),
      'records the void of its payment',
    );

    // Assess
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    const bodyOf = (response: { body: unknown }, id: string) => {
      const { error } = response.body as { error: { code: string; message: string } };
      return { code: error.code, message: error.message.replace(id, '<id>') };
    };
    expect(bodyOf(foreign, orderId)).toEqual(bodyOf(unknown, '01JN8S7QG0ZZZZZZZZZZZZZZZZ'));
    expect(refused.map((response) => response.status)).toEqual([400, 400, 400, 400]);
    expect(untouched.status).not.toBe('CANCELLED');
    expect(untouched.history.some((entry) => /customer/i.test(entry.reason))).toBe(false);
    expect(written).toEqual({});
    expect(cancelled.status).toBe(202);
    expect((await psp(orderId)).status).toBe('VOIDED');
    expect(await compensations(orderId)).toEqual({
      OrderCancelled: 1,
      StockReleaseRequested: 1,
      PaymentReversalRequested: 1,
    });
  });

  it('refunds a payment that succeeds after its order was cancelled (the PSP answers tok_slow late), once', async () => {
    // Prepare
    const before = await stock();
    const orderId = await place('tok_slow');

    // Act
    const accepted = await cancel(orderId, owner);
    const refunded = await orderWhere(
      orderId,
      (view) => view.history.some((entry) => /refunded \(ORDER_CANCELLED\)/.test(entry.reason)),
      'records the refund of its payment',
    );
    await waitFor(async () => ((await stock()) === before ? before : undefined), {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'the stock of the cancelled order is back',
    });

    // Assess
    expect(accepted.status).toBe(202);
    expect(refunded.status).toBe('CANCELLED');
    expect(
      refunded.history.some((entry) => /succeeded after the order was cancelled/.test(entry.reason)),
    ).toBe(true);
    const held = await psp(orderId);
    expect(held.status).toBe('REFUNDED');
    expect((held.money?.authorizedMinor ?? 0) + (held.money?.capturedMinor ?? 0)).toBe(0);
    expect(await payment(orderId)).toMatchObject({ status: 'REFUNDED', reversalReason: 'ORDER_CANCELLED' });
    expect(await compensations(orderId)).toEqual({
      OrderCancelled: 1,
      StockReleaseRequested: 1,
      PaymentReversalRequested: 1,
    });
  });
});
