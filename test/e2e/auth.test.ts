import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt } from '#localstack/runtime/jwt';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { ADMIN, admin, customer, type Session, signIn, userPoolOf } from '../helpers/auth';
import { documentClient, http, postOrder, scanAll, startRuntime, tableName } from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';

const order = () => ({
  items: [{ productId: MOUSE, quantity: 1 }],
  payment: { method: 'card', token: 'tok_ok' },
});

interface OrderBody {
  orderId: string;
  customerId: string;
  status: string;
}

const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * Who may call what, over HTTP against the local runtime: sign-in through the local Cognito API,
 * the Cognito authorizer on the order API, customers' ownership of their orders, the admins group on
 * the back office, and the API key of the mock PSP. Every refused request answers a JSON error and
 * writes nothing.
 */
describe('End to end: sign-in and who owns what', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let alice: Session;
  let bob: Session;
  let operator: Session;
  let aliceOrder: OrderBody;

  beforeAll(async () => {
    runtime = await startRuntime();
    db = documentClient(runtime);
    alice = await customer(runtime, 'alice');
    bob = await customer(runtime, 'bob');
    operator = await admin(runtime);
    const created = await postOrder(runtime.apiUrl, order(), 'auth-alice-1', alice.headers);
    expect(created.status).toBe(202);
    aliceOrder = created.body as OrderBody;
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const ordersTableItems = () => scanAll(db, tableName(runtime, 'orders'));
  /** What POST /orders writes (orders carrying their OrderCreated, idempotency records); the saga writes the rest. */
  const writtenByTheApi = async () =>
    (await ordersTableItems()).map((item) => `${item.pk}|${item.sk}`).sort();

  describe('bad credentials on the order API: 401 with the JSON error body, nothing written', () => {
    /** Valid claims of Alice's ID token, to forge variations of. */
    const aliceClaims = () => payloadOf(alice.idToken);
    const cases: { name: string; token: () => string | undefined }[] = [
      { name: 'no token', token: () => undefined },
      { name: 'a malformed token', token: () => 'not-a-jwt' },
      {
        name: 'a token with alg: none',
        token: () =>
          signJwt(aliceClaims(), userPoolOf(runtime).pool.key, { header: { alg: 'none' }, unsigned: true }),
      },
      {
        name: 'a token signed by another key',
        token: () => signJwt(aliceClaims(), generateSigningKey(userPoolOf(runtime).pool.key.kid)),
      },
      {
        name: 'an expired token',
        token: () => {
          const { pool, clientId } = userPoolOf(runtime);
          const user = pool.users.get(alice.email);
          const client = pool.clients.get(clientId);
          if (!user || !client) throw new Error('no demo user');
          return pool.tokens(user, client, new Date(Date.now() - 2 * 3600_000)).IdToken;
        },
      },
      {
        name: 'a token for another app client',
        token: () =>
          signJwt({ ...aliceClaims(), aud: '7abcdefghijklmnopqrstuvwxy' }, userPoolOf(runtime).pool.key),
      },
      {
        name: 'a token of another issuer',
        token: () =>
          signJwt(
            { ...aliceClaims(), iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Another1' },
            userPoolOf(runtime).pool.key,
          ),
      },
      { name: 'an access token where an ID token is required', token: () => 'ACCESS_TOKEN' },
    ];

    it.each(cases)(
      'refuses $name on POST /orders, GET /orders and GET /orders/{orderId}',
      async ({ token }) => {
        // Prepare
        const credential =
          token() === 'ACCESS_TOKEN' ? (await signIn(runtime, alice.email)).accessToken : token();
        const headers: Record<string, string> = credential ? { authorization: `Bearer ${credential}` } : {};
        const before = await writtenByTheApi();

        // Act
        const responses = [
          await postOrder(runtime.apiUrl, order(), `auth-bad-${Date.now()}`, headers),
          await http(runtime.apiUrl, '/orders', { headers }),
          await http(runtime.apiUrl, `/orders/${aliceOrder.orderId}`, { headers }),
          await http(runtime.apiUrl, '/admin/dead-letters', { headers }),
        ];

        // Assess
        for (const response of responses) {
          expect(response.status).toBe(401);
          expect(response.headers.get('content-type')).toContain('application/json');
          expect(response.body).toEqual({
            error: {
              code: 'UNAUTHORIZED',
              message: 'Sign in: a valid ID token is required in the Authorization header',
              details: [],
            },
          });
        }
        expect(await writtenByTheApi()).toEqual(before);
      },
    );

    it('accepts the ID token with or without the Bearer prefix', async () => {
      // Act
      const responses = await Promise.all([
        http(runtime.apiUrl, '/orders', { headers: { authorization: alice.idToken } }),
        http(runtime.apiUrl, '/orders', { headers: alice.headers }),
      ]);

      // Assess
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
    });

    it('keeps the catalog and the health check public', async () => {
      // Act
      const responses = await Promise.all([
        http(runtime.apiUrl, '/products'),
        http(runtime.apiUrl, `/products/${MOUSE}`),
        http(runtime.apiUrl, '/health'),
      ]);

      // Assess
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    });
  });

  describe('customers own their orders', () => {
    it("answers another customer's order id exactly like an unknown id (404, same body)", async () => {
      // Act
      const foreign = await http(runtime.apiUrl, `/orders/${aliceOrder.orderId}`, { headers: bob.headers });
      const unknown = await http(runtime.apiUrl, '/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV', {
        headers: bob.headers,
      });
      const own = await http(runtime.apiUrl, `/orders/${aliceOrder.orderId}`, { headers: alice.headers });

      // Assess
      expect(foreign.status).toBe(404);
      expect(unknown.status).toBe(404);
      const withoutRequestId = (body: unknown, orderId: string) => {
        const { error } = body as { error: { requestId?: string; message: string } };
        return { ...error, requestId: undefined, message: error.message.replace(orderId, '<id>') };
      };
      expect(withoutRequestId(foreign.body, aliceOrder.orderId)).toEqual(
        withoutRequestId(unknown.body, '01ARZ3NDEKTSV4RRFFQ69G5FAV'),
      );
      expect(foreign.text).not.toContain(alice.sub);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ orderId: aliceOrder.orderId, customerId: alice.sub });
    });

    it('makes the token subject the customer and refuses a body that names one', async () => {
      // Prepare
      const before = await writtenByTheApi();

      // Act
      const refused = await postOrder(
        runtime.apiUrl,
        { ...order(), customerId: alice.sub },
        'auth-named-customer',
        bob.headers,
      );

      // Assess
      expect(aliceOrder.customerId).toBe(alice.sub);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({
        error: { code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'customerId' })] },
      });
      expect(await writtenByTheApi()).toEqual(before);
    });

    it('scopes Idempotency-Keys per customer: the same key places one order for each', async () => {
      // Prepare
      const carol = await customer(runtime, 'carol');
      const dave = await customer(runtime, 'dave');

      // Act
      const forCarol = await postOrder(runtime.apiUrl, order(), 'shared-key-1', carol.headers);
      const forDave = await postOrder(runtime.apiUrl, order(), 'shared-key-1', dave.headers);
      const carolAgain = await postOrder(runtime.apiUrl, order(), 'shared-key-1', carol.headers);

      // Assess
      expect([forCarol.status, forDave.status, carolAgain.status]).toEqual([202, 202, 202]);
      expect(forDave.headers.get('idempotent-replayed')).toBeNull();
      expect(carolAgain.headers.get('idempotent-replayed')).toBe('true');
      const ids = [forCarol, forDave, carolAgain].map((response) => (response.body as OrderBody).orderId);
      expect(ids[0]).not.toBe(ids[1]);
      expect(ids[2]).toBe(ids[0]);
      expect(
        (await ordersTableItems()).filter((item) => item.pk === `IDEMPOTENCY#${carol.sub}#shared-key-1`),
      ).toHaveLength(1);
    });

    it("lists only the caller's own orders, newest first, page by page with a cursor", async () => {
      // Prepare
      const erin = await customer(runtime, 'erin');
      const placed: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await postOrder(runtime.apiUrl, order(), `erin-${i}`, erin.headers);
        placed.push((created.body as OrderBody).orderId);
      }

      // Act
      const pages = await waitFor(
        async () => {
          const first = await http(runtime.apiUrl, '/orders?limit=2', { headers: erin.headers });
          const { items, nextCursor } = first.body as { items: OrderBody[]; nextCursor: string | null };
          if (items.length < 2 || !nextCursor) return undefined;
          const second = await http(runtime.apiUrl, `/orders?limit=2&cursor=${nextCursor}`, {
            headers: erin.headers,
          });
          return { first, second };
        },
        { timeoutMs: 15_000, description: "erin's orders in the byCustomer index" },
      );
      const bobsList = await http(runtime.apiUrl, '/orders', { headers: bob.headers });
      const stolenCursor = await http(
        runtime.apiUrl,
        `/orders?cursor=${(pages.first.body as { nextCursor: string }).nextCursor}`,
        { headers: bob.headers },
      );

      // Assess
      const listed = [pages.first, pages.second].flatMap((page) =>
        (page.body as { items: OrderBody[] }).items.map((item) => item.orderId),
      );
      expect(listed).toEqual([...placed].reverse());
      expect((pages.second.body as { nextCursor: unknown }).nextCursor).toBeNull();
      expect((bobsList.body as { items: OrderBody[] }).items.map((item) => item.orderId)).not.toEqual(
        expect.arrayContaining(placed.slice(0, 1)),
      );
      expect(stolenCursor.status).toBe(400);
      expect(stolenCursor.body).toMatchObject({ error: { code: 'INVALID_QUERY' } });
    });
  });

  describe('the back office needs the admins group', () => {
    it.each([
      ['GET', '/admin/dead-letters'],
      ['GET', '/admin/metrics'],
      ['POST', '/admin/dead-letters/01ARZ3NDEKTSV4RRFFQ69G5FAV/redrive'],
    ])('answers 403 to a customer on %s %s and changes nothing', async (method, path) => {
      // Prepare
      const deadLetters = async () =>
        (await scanAll(db, tableName(runtime, 'DeadLetter')))
          .filter((item) => item.entity === 'DEADLETTER')
          .map((item) => `${item.pk}|${item.status}`)
          .sort();
      const before = await deadLetters();

      // Act
      const response = await http(runtime.apiUrl, path, { method, headers: alice.headers });

      // Assess
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ error: { code: 'FORBIDDEN', details: [] } });
      expect(await deadLetters()).toEqual(before);
    });

    it('serves an admin', async () => {
      // Act
      const responses = await Promise.all([
        http(runtime.apiUrl, '/admin/dead-letters', { headers: operator.headers }),
        http(runtime.apiUrl, '/admin/metrics', { headers: operator.headers }),
      ]);

      // Assess
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      expect(operator.email).toBe(ADMIN);
    });
  });

  describe('the mock PSP is not on the public API and needs its API key', () => {
    const pspPayment = {
      paymentId: 'pay-auth-e2e',
      amount: { amountMinor: 100, currency: 'EUR' },
      token: 'tok_ok',
      splits: [{ sellerId: 'seller-1', amount: { amountMinor: 100, currency: 'EUR' } }],
    };
    const callPsp = (headers: Record<string, string>) =>
      http(runtime.apiUrlOf('mock-psp'), '/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': pspPayment.paymentId, ...headers },
        body: JSON.stringify(pspPayment),
      });
    const apiKey = () => {
      const name = runtime.secrets?.names().find((candidate) => candidate.includes('MockPsp'));
      if (!name || !runtime.secrets) throw new Error('no mock PSP secret');
      return runtime.secrets.value(name);
    };

    it.each([
      ['without an API key', {}],
      ['with a wrong API key', { 'x-api-key': 'not-the-key' }],
      ['with a customer ID token instead of the key', { 'x-api-key': 'x', authorization: 'Bearer y' }],
    ])('answers 401 %s and records no payment', async (_, headers) => {
      // Prepare
      const recorded = async () =>
        (await scanAll(db, tableName(runtime, 'MockPspTable'))).filter(
          (item) => item.paymentId === pspPayment.paymentId,
        );

      // Act
      const response = await callPsp(headers);

      // Assess
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error: {
          code: 'UNAUTHORIZED',
          message: 'A valid API key is required in the X-Api-Key header',
          details: [],
        },
      });
      expect(await recorded()).toEqual([]);
    });

    it('serves the payment service, which sends the key from Secrets Manager, and nobody on the order API', async () => {
      // Act
      const withKey = await callPsp({ 'x-api-key': apiKey() });
      const onOrderApi = await http(runtime.apiUrl, '/psp/payments', {
        method: 'POST',
        headers: alice.headers,
      });
      const confirmed = await waitFor(
        async () => {
          const view = await http(runtime.apiUrl, `/orders/${aliceOrder.orderId}`, {
            headers: alice.headers,
          });
          return (view.body as OrderBody).status === 'CONFIRMED' ? view : undefined;
        },
        { timeoutMs: 60_000, description: "alice's order paid through the mock PSP" },
      );

      // Assess
      expect(withKey.status).toBe(201);
      expect(onOrderApi.status).toBe(404);
      expect(confirmed.status).toBe(200);
    });
  });

  it('writes no payment token into any function log line', async () => {
    // Prepare: alice's order went through inventory, payments, the PSP and notifications above.
    const logFile = runtime.options.logFile;
    if (!logFile) throw new Error('the runtime writes no log file');

    // Act
    const log = readFileSync(logFile, 'utf8');

    // Assess
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toMatch(/tok_[A-Za-z0-9_]+/);
  });
});
