import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { admin, customer, type Session } from '../helpers/auth';
import { documentClient, http, postOrder, scanAll, startRuntime, tableName } from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';

interface Profile {
  customerId: string;
  name: string;
  email?: string;
  phone?: string;
  notifications: { email: boolean; sms: boolean };
  status: string;
  createdAt: string;
  updatedAt: string;
}

interface ErrorBody {
  error: { code: string; message: string; details: { path?: string; message: string }[] };
}

const VALID = {
  name: 'Dana Profile',
  email: 'dana.contact@example.com',
  phone: '+15555550123',
  notifications: { email: true, sms: true },
};

describe('End to end: customer profiles over HTTP against the local runtime', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let customersTable: string;
  let keySeq = 0;

  beforeAll(async () => {
    runtime = await startRuntime();
    db = documentClient(runtime);
    customersTable = tableName(runtime, 'customers');
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const me = (session: Session) => http(runtime.apiUrl, '/me', { headers: session.headers });
  const putMe = (session: Session | undefined, body: unknown) =>
    http(runtime.apiUrl, '/me', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(session?.headers ?? {}) },
      body: JSON.stringify(body),
    });
  const storedProfile = async (session: Session) =>
    (
      await db.send(
        new GetCommand({ TableName: customersTable, Key: { customerId: session.sub }, ConsistentRead: true }),
      )
    ).Item;
  const order = (session: Session) =>
    postOrder(
      runtime.apiUrl,
      { items: [{ productId: MOUSE, quantity: 1 }], payment: { method: 'card', token: 'tok_ok' } },
      `customers-${Date.now()}-${keySeq++}`,
      session.headers,
    );

  it("creates the profile on the first GET /me from the token's email, and returns the same one after", async () => {
    // Prepare
    const alice = await customer(runtime, 'alice');

    // Act
    const first = await me(alice);
    const second = await me(alice);

    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      customerId: alice.sub,
      name: 'alice',
      email: 'alice@example.com',
      notifications: { email: true, sms: false },
      status: 'ACTIVE',
    });
    expect(second.body).toEqual(first.body);
    expect(await storedProfile(alice)).toMatchObject({ customerId: alice.sub, status: 'ACTIVE', version: 1 });
  });

  it('replaces the profile with PUT /me, and GET /me reads it back', async () => {
    // Prepare
    const dana = await customer(runtime, 'dana');
    const created = (await me(dana)).body as Profile;

    // Act
    const updated = await putMe(dana, VALID);
    const read = await me(dana);

    // Assess
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ customerId: dana.sub, ...VALID, status: 'ACTIVE' });
    expect(read.body).toEqual(updated.body);
    expect((read.body as Profile).createdAt).toBe(created.createdAt);
    expect(await storedProfile(dana)).toMatchObject({ ...VALID, status: 'ACTIVE', version: 2 });
  });

  it.each([
    ['an unknown field', { ...VALID, nickname: 'dee' }, 'nickname'],
    ['a bad email', { ...VALID, email: 'dana-at-example' }, 'email'],
    ['a status change', { ...VALID, status: 'SUSPENDED' }, 'status'],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field, and writes nothing', async (_, body, path) => {
    // Prepare
    const erin = await customer(runtime, 'erin');
    await putMe(erin, {
      name: 'Erin',
      email: 'erin@example.com',
      notifications: { email: true, sms: false },
    });
    const before = await storedProfile(erin);

    // Act
    const response = await putMe(erin, body);

    // Assess
    expect(response.status).toBe(400);
    const { error } = response.body as ErrorBody;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((detail) => detail.path)).toContain(path);
    expect(await storedProfile(erin)).toEqual(before);
    expect(((await me(erin)).body as Profile).status).toBe('ACTIVE');
  });

  it('answers 401 to GET and PUT /me without a token, and writes nothing', async () => {
    // Prepare
    const frank = await customer(runtime, 'frank');

    // Act
    const read = await http(runtime.apiUrl, '/me');
    const write = await putMe(undefined, VALID);

    // Assess
    expect([read.status, write.status]).toEqual([401, 401]);
    expect((write.body as ErrorBody).error.code).toBe('UNAUTHORIZED');
    expect(await storedProfile(frank)).toBeUndefined();
  });

  it('refuses a suspended customer’s order with 403 CUSTOMER_SUSPENDED, and writes no order', async () => {
    // Prepare: the back office suspends the customer (a direct write of the profile's status)
    const gina = await customer(runtime, 'gina');
    await me(gina);
    await db.send(
      new UpdateCommand({
        TableName: customersTable,
        Key: { customerId: gina.sub },
        UpdateExpression: 'SET #status = :suspended',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':suspended': 'SUSPENDED' },
      }),
    );

    // Act
    const response = await order(gina);

    // Assess
    expect(response.status).toBe(403);
    expect((response.body as ErrorBody).error.code).toBe('CUSTOMER_SUSPENDED');
    const written = (await scanAll(db, tableName(runtime, 'orders'))).filter(
      (item) => item.customerId === gina.sub || String(item.pk).startsWith(`IDEMPOTENCY#${gina.sub}#`),
    );
    expect(written).toEqual([]);
    const list = await http(runtime.apiUrl, '/orders', { headers: gina.headers });
    expect(list.body).toEqual({ items: [], nextCursor: null });
  });

  it('lets an admin suspend and reinstate a customer through the back office, and nobody else', async () => {
    // Prepare
    const ivan = await customer(runtime, 'ivan');
    const operator = await admin(runtime);
    await me(ivan);
    const setStatus = (session: Session, status: string) =>
      http(runtime.apiUrl, `/admin/customers/${encodeURIComponent(ivan.sub)}/status`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...session.headers },
        body: JSON.stringify({ status }),
      });

    // Act
    const byCustomer = await setStatus(ivan, 'SUSPENDED');
    const suspended = await setStatus(operator, 'SUSPENDED');
    const refused = await order(ivan);
    const reinstated = await setStatus(operator, 'ACTIVE');
    const accepted = await order(ivan);

    // Assess
    expect(byCustomer.status).toBe(403);
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ customerId: ivan.sub, status: 'SUSPENDED' });
    expect(refused.status).toBe(403);
    expect(reinstated.body).toMatchObject({ status: 'ACTIVE' });
    expect(accepted.status).toBe(202);
    expect(await storedProfile(ivan)).toMatchObject({ status: 'ACTIVE', statusChangedBy: operator.email });
  });

  it("takes an order of a customer without a profile as active, and notifies the profile's address of an order placed after PUT /me", async () => {
    // Prepare
    const hana = await customer(runtime, 'hana');

    // Act
    const before = await order(hana);
    await putMe(hana, {
      name: 'Hana',
      email: 'hana.orders@example.com',
      notifications: { email: true, sms: false },
    });
    const after = await order(hana);

    // Assess
    expect([before.status, after.status]).toEqual([202, 202]);
    const orderId = (after.body as { orderId: string }).orderId;
    const notification = await waitFor(
      async () =>
        (await scanAll(db, tableName(runtime, 'notification'))).find(
          (item) => item.orderId === orderId && item.template === 'ORDER_CONFIRMED',
        ),
      { timeoutMs: 60_000, intervalMs: 250, description: `the confirmation of ${orderId} is recorded` },
    );
    expect(notification).toMatchObject({
      channel: 'email',
      recipient: 'hana.orders@example.com',
      status: 'SENT',
    });
  });
});
