import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type DomainEventOf } from '#events';
import { MockPsp } from '#functions/mock-psp/mock-psp';
import { DynamoPspStore } from '#functions/mock-psp/store';
import { PaymentAuthorization } from '#functions/payments/authorization';
import { HttpPaymentProvider } from '#functions/payments/http-provider';
import type { PaymentItem, PaymentWorkflowInput } from '#functions/payments/model';
import { PaymentStore } from '#functions/payments/payment-store';
import { PaymentStatusChecks } from '#functions/payments/status-checks';
import { DynamoDbLocal, localDynamoClientConfig } from '#localstack/engines/index';
import { sleep } from '#platform/backoff';

const PAYMENTS = 'payments';
const PSP = 'psp';
const NOW = new Date('2025-03-01T12:00:00.000Z');
/** Timeout of one PSP call by the payment functions. */
const PSP_TIMEOUT_MS = 500;

let ddb: DynamoDbLocal | undefined;
let raw: DynamoDBClient;
let client: DynamoDBDocumentClient;
let server: Server | undefined;
let payments: PaymentAuthorization;
let checks: PaymentStatusChecks;
const started: { name: string; input: PaymentWorkflowInput }[] = [];

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

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

/** The order's outbox events, oldest first. */
async function eventsOf(
  orderId: string,
): Promise<{ eventId: string; eventType: string; payload: Record<string, unknown> }[]> {
  const { Items } = await client.send(
    new ScanCommand({
      TableName: PAYMENTS,
      ConsistentRead: true,
      FilterExpression: 'entity = :outbox AND aggregateId = :orderId',
      ExpressionAttributeValues: { ':outbox': 'OUTBOX', ':orderId': orderId },
    }),
  );
  return (Items ?? [])
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

async function createTable(name: string, keys: string[]): Promise<void> {
  await raw.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: keys.map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      KeySchema: keys.map((AttributeName, index) => ({
        AttributeName,
        KeyType: index === 0 ? ('HASH' as const) : ('RANGE' as const),
      })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

describe('Class: PaymentAuthorization, then PaymentStatusChecks, with the mock PSP over HTTP (DynamoDB Local)', () => {
  beforeAll(async () => {
    ddb = await DynamoDbLocal.start();
    raw = new DynamoDBClient(localDynamoClientConfig(ddb.endpoint));
    client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    await createTable(PAYMENTS, ['pk', 'sk']);
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
        lateSettleMs: 1_500,
      },
    });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const key = req.headers['idempotency-key'];
        const response =
          req.method === 'POST' && url.pathname === '/psp/payments'
            ? await psp.authorize(
                typeof key === 'string' ? key : undefined,
                JSON.parse(Buffer.concat(chunks as Uint8Array[]).toString('utf8')),
              )
            : await psp.getPayment(decodeURIComponent(url.pathname.replace('/psp/payments/', '')));
        if (res.destroyed) return;
        res.writeHead(response.statusCode, { 'content-type': 'application/json' });
        res.end(JSON.stringify(response.body));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const store = new PaymentStore(client, PAYMENTS);
    const provider = new HttpPaymentProvider(`http://127.0.0.1:${port}/psp`);

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

  it('fails a payment still pending at the deadline with DEADLINE_EXCEEDED, once', async () => {
    // Prepare
    const orderId = 'order-deadline';
    await payments.authorize(stockReserved(orderId, 'tok_pending'), NOW);
    const input = started.find((start) => start.name === `pay-${orderId}`)?.input;
    if (!input) throw new Error('the workflow was not started');

    // Act
    const first = await checks.expire(input, new Date('2025-03-01T12:15:00.000Z'));
    const second = await checks.expire(input, new Date('2025-03-01T12:15:01.000Z'));

    // Assess
    expect(first).toEqual({ status: 'FAILED' });
    expect(second).toEqual({ status: 'FAILED' });
    const events = await eventsOf(orderId);
    expect(events.map((event) => event.eventType)).toEqual(['PaymentPending', 'PaymentFailed']);
    expect(events[1]?.payload).toMatchObject({ reason: 'DEADLINE_EXCEEDED' });
  });
});
