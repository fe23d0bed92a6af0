import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type DomainEventOf } from '#events';
import { MockPsp } from '#functions/mock-psp/mock-psp';
import { DynamoPspStore } from '#functions/mock-psp/store';
import { PaymentAuthorization } from '#functions/payments/authorization';
import { HttpPaymentProvider } from '#functions/payments/http-provider';
import { type PaymentItem, type PaymentWorkflowInput, RECONCILE_INDEX } from '#functions/payments/model';
import { PaymentStore } from '#functions/payments/payment-store';
import { PaymentReconciler } from '#functions/payments/reconciler';
import { PaymentReversals } from '#functions/payments/reversals';
import { PaymentStatusChecks } from '#functions/payments/status-checks';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { sleep } from '#platform/backoff';
import { emittedEvents } from '#test/helpers/table-events';
import { waitFor } from '#test/helpers/wait';

const PAYMENTS = 'payments';
const PSP = 'psp';
const NOW = new Date('2025-03-01T12:00:00.000Z');
/** Timeout of one PSP call by the payment functions. */
const PSP_TIMEOUT_MS = 500;
/** When `tok_late` settles at the mock PSP, after its authorization (real time). */
const LATE_SETTLE_MS = 1_500;

let ddb: DynamoDbLocal | undefined;
let raw: DynamoDBClient;
let client: DynamoDBDocumentClient;
let server: Server | undefined;
let store: PaymentStore;
let provider: HttpPaymentProvider;
let unreachable: HttpPaymentProvider;
let pspUrl: string;
let payments: PaymentAuthorization;
let checks: PaymentStatusChecks;
const started: { name: string; input: PaymentWorkflowInput }[] = [];

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

function reversalRequested(orderId: string): DomainEventOf<'PaymentReversalRequested'> {
  return createEvent(
    'PaymentReversalRequested',
    { orderId, paymentId: `pay-${orderId}`, reason: 'ORDER_CANCELLED' },
    { source: 'order-service', aggregateId: orderId, now: NOW },
  );
}

/** What the mock PSP holds for the order's payment: its status and money by state. */
async function pspHolds(orderId: string) {
  const response = await fetch(`${pspUrl}/payments/pay-${orderId}`);
  const body = (await response.json()) as {
    status?: string;
    money?: { authorizedMinor: number; capturedMinor: number; voidedMinor: number; refundedMinor: number };
  };
  return {
    status: body.status,
    money: body.money,
    held: (body.money?.authorizedMinor ?? 0) + (body.money?.capturedMinor ?? 0),
  };
}

function stockReserved(orderId: string, token: string): DomainEventOf<'StockReserved'> {
  return createEvent(
    'StockReserved',
    {
      orderId,
      reservationId: `res-${orderId}`,
      lines: [
        { productId: 'p-1', sellerId: 'seller-a', quantity: 2, unitPrice: eur(250), lineTotal: eur(500) },
        { productId: 'p-2', sellerId: 'seller-b', quantity: 1, unitPrice: eur(199), lineTotal: eur(199) },
      ],
      total: eur(699),
      payment: { method: 'card', token },
    },
    { source: 'inventory-service', aggregateId: orderId, now: NOW },
  );
}

async function paymentOf(orderId: string): Promise<PaymentItem | undefined> {
  const { Item } = await client.send(
    new GetCommand({
      TableName: PAYMENTS,
      Key: { pk: `PAYMENT#pay-${orderId}`, sk: 'PAYMENT' },
      ConsistentRead: true,
    }),
  );
  return Item as PaymentItem | undefined;
}

/** The events the payments table emitted for an order (what its relay publishes), oldest first. */
async function eventsOf(
  orderId: string,
): Promise<{ eventId: string; eventType: string; payload: Record<string, unknown> }[]> {
  const emitted = await emittedEvents(localDynamoClientConfig(ddb?.endpoint ?? ''), PAYMENTS);
  return emitted
    .filter((item) => item.aggregateId === orderId)
    .map(
      (item) =>
        JSON.parse(String(item.event)) as {
          eventId: string;
          eventType: string;
          payload: Record<string, unknown>;
        },
    )
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
}

async function createTable(
  name: string,
  keys: string[],
  index?: { name: string; keys: string[] },
): Promise<void> {
  const schema = (names: string[]) =>
    names.map((AttributeName, position) => ({
      AttributeName,
      KeyType: position === 0 ? ('HASH' as const) : ('RANGE' as const),
    }));
  await raw.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [...keys, ...(index?.keys ?? [])].map((AttributeName) => ({
        AttributeName,
        AttributeType: 'S' as const,
      })),
      KeySchema: schema(keys),
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      ...(index
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: index.name,
                KeySchema: schema(index.keys),
                Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['paymentId'] },
              },
            ],
          }
        : {}),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

describe('Class: PaymentAuthorization, then PaymentStatusChecks, with the mock PSP over HTTP (DynamoDB Local)', () => {
  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    raw = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    await createTable(PAYMENTS, ['pk', 'sk'], {
      name: RECONCILE_INDEX,
      keys: ['reconcileShard', 'reconcileAt'],
    });
    await createTable(PSP, ['paymentId']);

    const psp = new MockPsp({
      store: new DynamoPspStore(client, PSP),
      // The late answer must outlast the payment functions' timeout by far, and the slow one stay far
      // below it, however busy the machine is.
      settings: {
        timeoutDelayMs: 2_000,
        slowDelayMs: 20,
        faultRate5xx: 0,
        faultRateTimeout: 0,
        lateSettleMs: LATE_SETTLE_MS,
      },
    });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const key = req.headers['idempotency-key'];
        const [, id = '', action] = /^\/psp\/payments\/([^/]+)(?:\/(void|refund))?$/.exec(url.pathname) ?? [];
        const paymentId = decodeURIComponent(id);
        const response =
          req.method === 'POST' && url.pathname === '/psp/payments'
            ? await psp.authorize(
                typeof key === 'string' ? key : undefined,
                JSON.parse(Buffer.concat(chunks as Uint8Array[]).toString('utf8')),
              )
            : action === 'void'
              ? await psp.voidPayment(paymentId)
              : action === 'refund'
                ? await psp.refundPayment(paymentId)
                : await psp.getPayment(paymentId);
        if (res.destroyed) return;
        res.writeHead(response.statusCode, { 'content-type': 'application/json' });
        res.end(JSON.stringify(response.body));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    pspUrl = `http://127.0.0.1:${port}/psp`;

    store = new PaymentStore(client, PAYMENTS);
    provider = new HttpPaymentProvider(`http://127.0.0.1:${port}/psp`, async () => 'integration-api-key');
    // Nothing listens on port 9 (discard) here: every call fails at once, as with a PSP outage.
    unreachable = new HttpPaymentProvider('http://127.0.0.1:9/psp', async () => 'integration-api-key');

    // Warm-up: the first requests to a fresh DynamoDB Local and HTTP server are slow; they must not
    // count against the timeout of the calls under test. The warm-up payment is not an order's.
    const warmUp = {
      paymentId: 'pay-warm-up',
      amount: eur(1),
      token: 'tok_ok',
      splits: [{ sellerId: 'seller-a', amount: eur(1) }],
    };
    await provider.authorize(warmUp, { idempotencyKey: warmUp.paymentId, timeoutMs: 30_000 });
    await provider.getStatus(warmUp.paymentId, { timeoutMs: 30_000 });
    await client.send(new PutCommand({ TableName: PAYMENTS, Item: { pk: 'WARM-UP', sk: 'WARM-UP' } }));
    await paymentOf('warm-up');
    payments = new PaymentAuthorization({
      store,
      provider,
      workflow: {
        start: async (name, input) => {
          started.push({ name, input });
          return 'STARTED';
        },
      },
      retry: {
        maxAttempts: 3,
        baseDelayMs: 5,
        maxDelayMs: 20,
        timeoutMs: PSP_TIMEOUT_MS,
        sleep,
        random: Math.random,
      },
      deadlineSeconds: 900,
    });
    checks = new PaymentStatusChecks({ store, provider, timeoutMs: PSP_TIMEOUT_MS });
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    raw?.destroy();
    await ddb?.stop();
  });

  it.each([
    ['tok_ok', 'SUCCEEDED', undefined, 1],
    ['tok_slow', 'SUCCEEDED', undefined, 1],
    ['tok_flaky', 'SUCCEEDED', undefined, 3],
    ['tok_decline', 'FAILED', 'DECLINED', 1],
    ['tok_insufficient_funds', 'FAILED', 'INSUFFICIENT_FUNDS', 1],
  ])('settles %s in the consumer call as %s', async (token, status, reason, attempts) => {
    // Prepare
    const orderId = `order-${token}`;

    // Act
    const outcome = await payments.authorize(stockReserved(orderId, token), NOW);
    const again = await payments.authorize(stockReserved(orderId, token), NOW);

    // Assess
    expect(outcome).toMatchObject({ kind: 'SETTLED', status, attempts });
    expect(again).toEqual({ kind: 'ALREADY_HANDLED', status });
    const events = await eventsOf(orderId);
    expect(events).toHaveLength(1);
    expect(events[0]?.eventType).toBe(status === 'SUCCEEDED' ? 'PaymentSucceeded' : 'PaymentFailed');
    if (reason) expect(events[0]?.payload.reason).toBe(reason);
    else
      expect(events[0]?.payload.splits).toEqual([
        { sellerId: 'seller-a', amount: eur(500) },
        { sellerId: 'seller-b', amount: eur(199) },
      ]);
  });

  it.each([
    ['tok_pending', 'SUCCEEDED'],
    ['tok_pending_fail', 'FAILED'],
    ['tok_timeout', 'SUCCEEDED'],
  ])('hands %s to the status workflow, whose checks settle it as %s', async (token, status) => {
    // Prepare
    const orderId = `order-${token}`;

    // Act
    const outcome = await payments.authorize(stockReserved(orderId, token), NOW);
    const workflow = started.find((start) => start.name === `pay-${orderId}`);
    let input = workflow?.input;
    const results = [];
    for (let check = 0; check < 5 && input; check++) {
      const result = await checks.checkStatus(input, NOW);
      results.push(result);
      if (result.settled) break;
      input = { ...input, waitSeconds: result.nextWaitSeconds };
    }

    // Assess
    expect(outcome.kind).toBe('AWAITING_STATUS');
    expect(workflow?.input).toMatchObject({ paymentId: `pay-${orderId}`, waitSeconds: 2 });
    expect(results.at(-1)).toMatchObject({ settled: true, status });
    expect((await paymentOf(orderId))?.status).toBe(status);
    expect((await eventsOf(orderId)).map((event) => event.eventType)).toEqual([
      'PaymentPending',
      status === 'SUCCEEDED' ? 'PaymentSucceeded' : 'PaymentFailed',
    ]);
  });

  it('voids a payment still pending at the deadline and fails it with DEADLINE_EXCEEDED, once', async () => {
    // Prepare
    const orderId = 'order-deadline';
    await payments.authorize(stockReserved(orderId, 'tok_pending'), NOW);
    const input = started.find((start) => start.name === `pay-${orderId}`)?.input;
    if (!input) throw new Error('the workflow was not started');

    // Act
    const first = await checks.expire(input, new Date('2025-03-01T12:15:00.000Z'));
    const second = await checks.expire(input, new Date('2025-03-01T12:15:01.000Z'));

    // Assess
    expect(first).toEqual({ status: 'VOIDED', resolved: 'RELEASED' });
    expect(second).toEqual({ status: 'VOIDED' });
    const events = await eventsOf(orderId);
    expect(events.map((event) => event.eventType)).toEqual([
      'PaymentPending',
      'PaymentFailed',
      'PaymentVoided',
    ]);
    expect(events[1]?.payload).toMatchObject({ reason: 'DEADLINE_EXCEEDED' });
  });

  it('voids a tok_late payment still pending at its deadline, so the PSP never settles it and holds nothing', async () => {
    // Prepare
    const orderId = 'order-late-void';
    await payments.authorize(stockReserved(orderId, 'tok_late'), NOW);
    const input = started.find((start) => start.name === `pay-${orderId}`)?.input;
    if (!input) throw new Error('the workflow was not started');

    // Act
    const expired = await checks.expire(input, later(900));
    const again = await checks.expire(input, later(901));

    // Assess
    expect(expired).toEqual({ status: 'VOIDED', resolved: 'RELEASED' });
    expect(again).toEqual({ status: 'VOIDED' });
    expect((await paymentOf(orderId))?.status).toBe('VOIDED');
    expect((await paymentOf(orderId))?.reconcileShard).toBeUndefined();
    const events = await eventsOf(orderId);
    expect(events.map((event) => [event.eventType, event.payload.reason])).toEqual([
      ['PaymentPending', 'PSP_PENDING'],
      ['PaymentFailed', 'DEADLINE_EXCEEDED'],
      ['PaymentVoided', 'DEADLINE_EXCEEDED'],
    ]);
    expect(await pspHolds(orderId)).toMatchObject({ status: 'VOIDED', held: 0, money: { voidedMinor: 699 } });
  });

  it('refunds a succeeded payment when its order asks for a reversal, once under redelivery', async () => {
    // Prepare
    const orderId = 'order-refund';
    const reversals = new PaymentReversals({ store, provider, timeoutMs: PSP_TIMEOUT_MS });
    await payments.authorize(stockReserved(orderId, 'tok_ok'), NOW);
    const event = reversalRequested(orderId);

    // Act
    const first = await reversals.reverse(event, later(60));
    const redelivered = await reversals.reverse(event, later(61));

    // Assess
    expect(first).toEqual({ kind: 'RELEASED', status: 'REFUNDED' });
    expect(redelivered).toEqual({ kind: 'NOTHING_TO_RELEASE', status: 'REFUNDED' });
    expect((await eventsOf(orderId)).map((e) => e.eventType)).toEqual([
      'PaymentSucceeded',
      'PaymentRefunded',
    ]);
    expect(await pspHolds(orderId)).toMatchObject({
      status: 'REFUNDED',
      held: 0,
      money: { refundedMinor: 699 },
    });
  });

  it('refunds at once a tok_late payment that settles after its order was cancelled while the PSP was unreachable', async () => {
    // Prepare
    const orderId = 'order-late-refund';
    await payments.authorize(stockReserved(orderId, 'tok_late'), NOW);
    const input = started.find((start) => start.name === `pay-${orderId}`)?.input;
    if (!input) throw new Error('the workflow was not started');
    const cutOff = new PaymentReversals({ store, provider: unreachable, timeoutMs: PSP_TIMEOUT_MS });
    const requested = await cutOff.reverse(reversalRequested(orderId), later(30));
    await waitFor(async () => (await pspHolds(orderId)).status === 'SUCCEEDED', {
      timeoutMs: LATE_SETTLE_MS + 10_000,
      description: 'the PSP settles the late payment',
    });

    // Act
    const check = await checks.checkStatus(input, later(40));

    // Assess
    expect(requested).toEqual({ kind: 'REQUESTED', status: 'AWAITING_STATUS' });
    expect(check).toMatchObject({ settled: true, status: 'REFUNDED' });
    expect((await eventsOf(orderId)).map((e) => e.eventType)).toEqual(['PaymentPending', 'PaymentRefunded']);
    expect(await pspHolds(orderId)).toMatchObject({ status: 'REFUNDED', held: 0 });
  });

  it('fails a payment at its deadline while the PSP is unreachable, and the reconciler releases it from its index later', async () => {
    // Prepare
    const orderId = 'order-outage';
    await payments.authorize(stockReserved(orderId, 'tok_pending'), NOW);
    const input = started.find((start) => start.name === `pay-${orderId}`)?.input;
    if (!input) throw new Error('the workflow was not started');
    const cutOff = new PaymentStatusChecks({ store, provider: unreachable, timeoutMs: PSP_TIMEOUT_MS });
    const expired = await cutOff.expire(input, later(900));
    const reconciler = new PaymentReconciler({
      store,
      provider,
      timeoutMs: PSP_TIMEOUT_MS,
      graceSeconds: 60,
      limit: 100,
    });

    // Act
    const tooEarly = await reconciler.run(later(930));
    const report = await reconciler.run(later(1_000));

    // Assess
    expect(expired).toEqual({ status: 'FAILED', resolved: 'FAILED_UNRELEASED' });
    expect(tooEarly.found).toBe(0);
    expect(report.voided).toBeGreaterThanOrEqual(1);
    expect(report.errors).toEqual([]);
    const after = await paymentOf(orderId);
    expect(after).toMatchObject({ status: 'VOIDED', failureReason: 'DEADLINE_EXCEEDED' });
    expect(after?.reconcileShard).toBeUndefined();
    expect((await eventsOf(orderId)).map((e) => [e.eventType, e.payload.reason])).toEqual([
      ['PaymentPending', 'PSP_PENDING'],
      ['PaymentFailed', 'DEADLINE_EXCEEDED'],
      ['PaymentVoided', 'DEADLINE_EXCEEDED'],
    ]);
    expect(await pspHolds(orderId)).toMatchObject({ status: 'VOIDED', held: 0 });
  });

  it('finishes payments a crashed consumer left AUTHORIZING past their deadline, asking the PSP before anything else', async () => {
    // Prepare: one crash after the PSP call (the PSP has it), one before (the PSP never got it).
    const charged = 'order-crash-after';
    const unsent = 'order-crash-before';
    for (const [orderId, token] of [
      [charged, 'tok_ok'],
      [unsent, 'tok_ok'],
    ] as const) {
      const event = stockReserved(orderId, token);
      await store.createOrGet({
        pk: `PAYMENT#pay-${orderId}`,
        sk: 'PAYMENT',
        entity: 'PAYMENT',
        paymentId: `pay-${orderId}`,
        orderId,
        reservationId: event.payload.reservationId,
        status: 'AUTHORIZING',
        amount: event.payload.total,
        splits: [
          { sellerId: 'seller-a', amount: eur(500) },
          { sellerId: 'seller-b', amount: eur(199) },
        ],
        token,
        attempts: 0,
        statusChecks: 0,
        deadline: later(900).toISOString(),
        reconcileShard: '1',
        reconcileAt: later(900).toISOString(),
        correlationId: event.correlationId,
        causationId: event.eventId,
        createdAt: NOW.toISOString(),
        updatedAt: NOW.toISOString(),
      });
    }
    await provider.authorize(
      {
        paymentId: `pay-${charged}`,
        amount: eur(699),
        token: 'tok_ok',
        splits: [
          { sellerId: 'seller-a', amount: eur(500) },
          { sellerId: 'seller-b', amount: eur(199) },
        ],
      },
      { idempotencyKey: `pay-${charged}`, timeoutMs: 30_000 },
    );
    const reconciler = new PaymentReconciler({
      store,
      provider,
      timeoutMs: PSP_TIMEOUT_MS,
      graceSeconds: 60,
      limit: 100,
    });

    // Act
    const report = await reconciler.run(later(1_000));

    // Assess
    expect(report.errors).toEqual([]);
    expect((await paymentOf(charged))?.status).toBe('SUCCEEDED');
    expect((await eventsOf(charged)).map((e) => e.eventType)).toEqual(['PaymentSucceeded']);
    expect((await paymentOf(unsent))?.status).toBe('VOIDED');
    expect((await eventsOf(unsent)).map((e) => e.eventType)).toEqual(['PaymentFailed', 'PaymentVoided']);
    const late = await fetch(`${pspUrl}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `pay-${unsent}` },
      body: JSON.stringify({
        paymentId: `pay-${unsent}`,
        amount: eur(699),
        token: 'tok_ok',
        splits: [{ sellerId: 'seller-a', amount: eur(699) }],
      }),
    });
    expect(late.status).toBe(409);
    expect(await pspHolds(unsent)).toMatchObject({ status: 'VOIDED', held: 0 });
  });
});
