import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '#events';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { customer, type Session } from '../helpers/auth';
import {
  collectTopic,
  documentClient,
  http,
  postOrder,
  type ReceivedMessage,
  ROOT,
  scanAll,
  startRuntime,
  tableName,
} from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';
const KEYBOARD = '22222222-2222-2222-2222-222222222222';

const order = (overrides: Record<string, unknown> = {}) => ({
  items: [{ productId: MOUSE, quantity: 2 }],
  payment: { method: 'card', token: 'tok_ok' },
  ...overrides,
});

interface OrderBody {
  orderId: string;
  status: string;
  total: { amountMinor: number; currency: string };
  lines: { productId: string; sellerId: string; unitPrice: { amountMinor: number } }[];
  history: { status: string; at: string; reason: string }[];
}

describe('End to end: order API over HTTP against the local runtime', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let ordersTable: string;
  let observer: { messages: ReceivedMessage[]; stop: () => Promise<void> };
  let alice: Session;

  beforeAll(async () => {
    runtime = await startRuntime();
    db = documentClient(runtime);
    ordersTable = tableName(runtime, 'orders');
    observer = await collectTopic(runtime.kafkaBootstrap, ['orders.events']);
    alice = await customer(runtime, 'alice');
  });

  afterAll(async () => {
    await observer?.stop();
    db?.destroy();
    await runtime?.stop();
  });

  const eventsFor = (orderId: string) => observer.messages.filter((message) => message.key === orderId);

  /**
   * The keys of the items POST /orders writes (orders, idempotency records, OrderCreated rows); the saga
   * of earlier orders goes on writing its own rows meanwhile, which a request must not be blamed for.
   */
  const writtenByTheApi = async () =>
    (await scanAll(db, ordersTable))
      .filter((item) => item.entity !== 'OUTBOX' || item.eventType === 'OrderCreated')
      .map((item) => `${item.pk}|${item.sk}`)
      .sort();

  it('reports healthy when the orders table answers', async () => {
    // Act
    const response = await http(runtime.apiUrl, '/health');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ok' });
  });

  it('serves its OpenAPI document, the one committed in docs/, to anybody', async () => {
    // Prepare
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8')) as unknown;

    // Act
    const response = await http(runtime.apiUrl, '/openapi.json');

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(committed);
  });

  it('lists the seeded catalog with prices in minor units, stock and sellers', async () => {
    // Act
    const response = await http(runtime.apiUrl, '/products');

    // Assess
    expect(response.status).toBe(200);
    const { items } = response.body as {
      items: { productId: string; price: { amountMinor: number }; stock: number; sellerId: string }[];
    };
    expect(items).toHaveLength(5);
    expect(items[0]).toMatchObject({
      productId: MOUSE,
      name: 'Wireless Mouse',
      price: { amountMinor: 2999, currency: 'EUR' },
      stock: 100,
    });
    expect(items.every((item) => item.sellerId.length > 0)).toBe(true);
  });

  it('returns one product and 404 for an unknown one', async () => {
    // Act
    const found = await http(runtime.apiUrl, `/products/${KEYBOARD}`);
    const missing = await http(runtime.apiUrl, '/products/does-not-exist');

    // Assess
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ productId: KEYBOARD, price: { amountMinor: 8999 } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('accepts an order, prices it from the catalog and publishes OrderCreated keyed by orderId', async () => {
    // Act
    const created = await postOrder(runtime.apiUrl, order(), 'e2e-happy-1', alice.headers);

    // Assess
    expect(created.status).toBe(202);
    const body = created.body as OrderBody;
    expect(created.headers.get('location')).toBe(`/orders/${body.orderId}`);
    expect(body).toMatchObject({
      customerId: alice.sub,
      status: 'PENDING',
      total: { amountMinor: 5998, currency: 'EUR' },
    });
    expect(body.lines[0]).toMatchObject({
      productId: MOUSE,
      sellerId: 'seller-peripherals',
      unitPrice: { amountMinor: 2999 },
    });

    const fetched = await http(runtime.apiUrl, `/orders/${body.orderId}`, { headers: alice.headers });
    expect(fetched.status).toBe(200);
    expect((fetched.body as OrderBody).history).toEqual([
      expect.objectContaining({ status: 'PENDING', reason: 'Order placed' }),
    ]);
    expect(fetched.text).not.toContain('tok_ok');

    const [message] = await waitFor(
      () => (eventsFor(body.orderId).length > 0 ? eventsFor(body.orderId) : undefined),
      {
        timeoutMs: 30_000,
        description: 'OrderCreated on orders.events',
      },
    );
    const parsed = parseEvent(message?.value);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.event).toMatchObject({
      eventType: 'OrderCreated',
      aggregateId: body.orderId,
      source: 'order-service',
    });
    expect(parsed.event.payload).toMatchObject({
      orderId: body.orderId,
      customerId: alice.sub,
      total: { amountMinor: 5998 },
    });
    expect(message?.headers).toMatchObject({ eventType: 'OrderCreated', eventId: parsed.event.eventId });

    const rows = await scanAll(db, ordersTable);
    const outbox = await waitFor(
      async () => {
        const row = (await scanAll(db, ordersTable)).find((item) => item.pk === `OUTBOX#${body.orderId}`);
        return row?.publishedAt ? row : undefined;
      },
      { timeoutMs: 15_000, description: 'outbox row marked published' },
    );
    expect(outbox.unpublishedShard).toBeUndefined();
    expect(rows.filter((item) => item.pk === `ORDER#${body.orderId}`)).toHaveLength(1);
  });

  it('answers with Location and links under the stage prefix the client called, which it serves', async () => {
    // Act
    const created = await http(runtime.apiUrl, '/v1/orders', {
      method: 'POST',
      headers: {
        ...alice.headers,
        'content-type': 'application/json',
        'idempotency-key': 'e2e-stage-prefix-1',
      },
      body: JSON.stringify(order()),
    });

    // Assess
    expect(created.status).toBe(202);
    const body = created.body as OrderBody & { links: { self: string } };
    const location = created.headers.get('location');
    expect(location).toBe(`/v1/orders/${body.orderId}`);
    expect(body.links).toEqual({ self: location });
    const fetched = await http(runtime.apiUrl, location ?? '', { headers: alice.headers });
    expect(fetched.status).toBe(200);
    expect((fetched.body as { links: { self: string } }).links).toEqual({ self: location });
  });

  it('replays the original response for the same key and body', async () => {
    // Prepare
    const replay = await customer(runtime, 'replay');
    const first = await postOrder(runtime.apiUrl, order(), 'e2e-replay-1', replay.headers);

    // Act
    const second = await postOrder(runtime.apiUrl, order(), 'e2e-replay-1', replay.headers);

    // Assess
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    const orders = (await scanAll(db, ordersTable)).filter(
      (item) => item.entity === 'ORDER' && item.customerId === replay.sub,
    );
    expect(orders).toHaveLength(1);
  });

  it('rejects the same key with a different body with 409 and writes nothing', async () => {
    // Prepare
    await postOrder(runtime.apiUrl, order(), 'e2e-conflict-1', alice.headers);
    const before = await writtenByTheApi();

    // Act
    const response = await postOrder(
      runtime.apiUrl,
      order({ items: [{ productId: MOUSE, quantity: 3 }] }),
      'e2e-conflict-1',
      alice.headers,
    );

    // Assess
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await writtenByTheApi()).toEqual(before);
  });

  it('creates exactly one order for 20 concurrent requests with one key', async () => {
    // Prepare
    const racer = await customer(runtime, 'racer');

    // Act
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postOrder(runtime.apiUrl, order(), 'e2e-race-1', racer.headers)),
    );

    // Assess
    const accepted = responses.filter((response) => response.status === 202);
    const orderIds = new Set(accepted.map((response) => (response.body as OrderBody).orderId));
    expect(responses.every((response) => response.status === 202 || response.status === 409)).toBe(true);
    expect(accepted.length).toBeGreaterThan(0);
    expect(orderIds.size).toBe(1);
    expect(
      accepted.filter((response) => response.headers.get('idempotent-replayed') !== 'true'),
    ).toHaveLength(1);
    const items = await scanAll(db, ordersTable);
    expect(items.filter((item) => item.entity === 'ORDER' && item.customerId === racer.sub)).toHaveLength(1);
    const [orderId] = [...orderIds];
    // One OrderCreated row; the saga may already have added its own rows for the order.
    expect(
      items.filter((item) => item.pk === `OUTBOX#${orderId}` && item.eventType === 'OrderCreated'),
    ).toHaveLength(1);
  });

  describe('bad input: a clear 4xx and nothing written', () => {
    const json = { 'content-type': 'application/json' };
    const cases: {
      name: string;
      body: unknown;
      key?: string | null;
      headers?: Record<string, string>;
      status: number;
      code?: string;
    }[] = [
      {
        name: 'malformed JSON',
        body: '{"items": [',
        status: 400,
        code: 'MALFORMED_JSON',
      },
      { name: 'a JSON array instead of an object', body: '[]', status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'wrong types',
        body: order({ items: 'many', payment: 42 }),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'missing fields', body: { items: [] }, status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'a customerId in the body',
        body: order({ customerId: 'someone-else' }),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'quantity 0',
        body: order({ items: [{ productId: MOUSE, quantity: 0 }] }),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'negative quantity',
        body: order({ items: [{ productId: MOUSE, quantity: -1 }] }),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'quantity 10^9',
        body: order({ items: [{ productId: MOUSE, quantity: 1e9 }] }),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a client-supplied price',
        body: order({ items: [{ productId: MOUSE, quantity: 1, unitPrice: 1 }] }),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'an unknown product',
        body: order({ items: [{ productId: 'no-such-product', quantity: 1 }] }),
        status: 422,
        code: 'UNKNOWN_PRODUCT',
      },
      {
        name: 'a 1 MB body',
        body: JSON.stringify({ ...order(), padding: 'x'.repeat(1024 * 1024) }),
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'a wrong content type',
        body: JSON.stringify(order()),
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      { name: 'a missing Idempotency-Key', body: order(), key: null, status: 400 },
      {
        name: 'a malformed Idempotency-Key',
        body: order(),
        key: 'has spaces and symbols!',
        status: 400,
        code: 'INVALID_IDEMPOTENCY_KEY',
      },
    ];

    it.each(cases)('answers $status for $name', async ({ name, body, key, headers, status, code }) => {
      // Prepare
      const before = await writtenByTheApi();

      // Act
      const response = await postOrder(
        runtime.apiUrl,
        body,
        key === null ? undefined : (key ?? `e2e-bad-${name}`.replaceAll(/[^A-Za-z0-9._:-]/g, '-')),
        {
          ...json,
          ...alice.headers,
          ...headers,
        },
      );

      // Assess
      expect(response.status).toBe(status);
      const error = (response.body as { error?: { code?: unknown; message?: unknown } }).error;
      expect(typeof error?.code).toBe('string');
      expect(typeof error?.message).toBe('string');
      if (code) expect(error?.code).toBe(code);
      expect(response.text).not.toMatch(/stack|Exception|arn:aws|TableName/i);
      expect(await writtenByTheApi()).toEqual(before);
    });
  });

  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    // Act
    const missing = await http(runtime.apiUrl, '/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV', {
      headers: alice.headers,
    });
    const malformed = await http(runtime.apiUrl, '/orders/not-an-id', { headers: alice.headers });

    // Assess
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: 'INVALID_ORDER_ID' } });
  });
});
