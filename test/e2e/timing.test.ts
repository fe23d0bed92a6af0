import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClientConfig } from '#localstack/engines/index';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { admin, customer, type Session } from '#test/helpers/auth';
import {
  documentClient,
  http,
  postOrder,
  scanAll,
  startRuntime,
  tableName,
  uncommitted,
} from '#test/helpers/local-runtime';
import { emittedEvents } from '#test/helpers/table-events';
import { waitFor } from '#test/helpers/wait';

const MOUSE = '11111111-1111-1111-1111-111111111111';

interface OrderView {
  orderId: string;
  status: string;
  history: { status: string; reason: string }[];
}

interface MappingView {
  UUID: string;
  FunctionArn: string;
  Topics?: string[];
  State: string;
  AmazonManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string };
}

/**
 * Timing that only real AWS produces, made on purpose through the local control plane (the Lambda
 * API and the local fault endpoint): a consumer's mapping paused while the others go on, a process
 * killed in the middle of a record, an order whose dependencies lost their events.
 */
/**
 * The statuses an order went through, without PAYMENT_PENDING: a tok_ok payment whose PSP answer is
 * slower than the client's timeout (a loaded machine) is settled by status checks, correctly, through
 * PAYMENT_PENDING; what these tests check holds either way.
 */
const settledPath = (history: readonly { status: string }[]) =>
  history.map((entry) => entry.status).filter((status) => status !== 'PAYMENT_PENDING');

describe('End to end: the saga under real AWS timing', () => {
  let runtime: LocalRuntime;
  let db: DynamoDBDocumentClient;
  let keySeq = 0;
  let shopper: Session;
  let operator: Session;

  beforeAll(async () => {
    runtime = await startRuntime({ timeScale: 50, functionConcurrency: 4 });
    db = documentClient(runtime);
    shopper = await customer(runtime, 'timing-shopper');
    operator = await admin(runtime);
  });

  afterAll(async () => {
    db?.destroy();
    await runtime?.stop();
  });

  const controlPlane = (path: string, init: { method?: string; body?: unknown } = {}) =>
    http(runtime.controlPlaneUrl, path, {
      ...(init.method ? { method: init.method } : {}),
      ...(init.body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) }),
    });

  /** Places an order of the shopper; `label` names the case in the test only. */
  const place = async (_label: string, token = 'tok_ok') => {
    const response = await postOrder(
      runtime.apiUrl,
      { items: [{ productId: MOUSE, quantity: 1 }], payment: { method: 'card', token } },
      `timing-${Date.now()}-${keySeq++}`,
      shopper.headers,
    );
    expect(response.status).toBe(202);
    return (response.body as OrderView).orderId;
  };

  const order = async (orderId: string) =>
    (await http(runtime.apiUrl, `/orders/${orderId}`, { headers: shopper.headers })).body as OrderView;

  const settle = (orderId: string, timeoutMs = 90_000) =>
    waitFor(
      async () => {
        const view = await order(orderId);
        return view.status === 'CONFIRMED' || view.status === 'CANCELLED' ? view : undefined;
      },
      { timeoutMs, intervalMs: 200, description: `order ${orderId} reaches a terminal state` },
    );

  const openDeadLetters = async (orderIds: readonly string[]) => {
    const { items } = (
      await http(runtime.apiUrl, '/admin/dead-letters?status=OPEN&limit=100', { headers: operator.headers })
    ).body as {
      items: { key: string }[];
    };
    return items.filter((item) => orderIds.includes(item.key));
  };

  const parkedFor = async (orderIds: readonly string[]) =>
    (await scanAll(db, tableName(runtime, 'DeadLetter'))).filter(
      (item) => item.entity === 'PARKED' && orderIds.includes(String(item.aggregateId)),
    );

  /** The saga consumer's event source mapping of a topic, as the Lambda API lists it. */
  const sagaMapping = async (topic: string): Promise<MappingView> => {
    const saga = runtime.fn('SagaConsumerFunction');
    const listed = await controlPlane(
      `/2015-03-31/event-source-mappings?FunctionName=${encodeURIComponent(saga.definition.name)}`,
    );
    const mapping = (listed.body as { EventSourceMappings: MappingView[] }).EventSourceMappings.find(
      (candidate) => candidate.Topics?.includes(topic),
    );
    if (!mapping) throw new Error(`The saga has no mapping of ${topic}`);
    return mapping;
  };

  const setEnabled = async (mapping: MappingView, enabled: boolean) => {
    const updated = await controlPlane(`/2015-03-31/event-source-mappings/${mapping.UUID}`, {
      method: 'PUT',
      body: { Enabled: enabled },
    });
    expect(updated.status).toBe(202);
    await waitFor(
      async () => {
        const current = await controlPlane(`/2015-03-31/event-source-mappings/${mapping.UUID}`);
        return (current.body as MappingView).State === (enabled ? 'Enabled' : 'Disabled');
      },
      { timeoutMs: 30_000, description: `the mapping is ${enabled ? 'enabled' : 'disabled'}` },
    );
  };

  it('confirms every order, with no dead letter, while the saga reads payments ahead of their reservations', async () => {
    // Prepare: the saga's mapping of inventory.events is paused; payments read StockReserved on their own.
    const inventory = await sagaMapping('inventory.events');
    await setEnabled(inventory, false);

    // Act
    const orderIds = await Promise.all(Array.from({ length: 6 }, (_, i) => place(`c-ahead-${i}`)));
    const confirmed = await Promise.all(orderIds.map((orderId) => settle(orderId)));
    await setEnabled(inventory, true);
    const group = inventory.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId;
    if (!group) throw new Error('The saga mapping of inventory.events names no consumer group');
    await waitFor(async () => (await uncommitted(runtime.kafkaBootstrap, group, 'inventory.events')) === 0, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the late StockReserved events consumed by the saga',
    });

    // Assess
    expect(confirmed.map((view) => view.status)).toEqual(orderIds.map(() => 'CONFIRMED'));
    for (const view of confirmed) {
      expect(settledPath(view.history)).toEqual(['PENDING', 'STOCK_RESERVED', 'CONFIRMED']);
      expect(view.history[1]?.reason).toContain('confirmed by the payment ahead of StockReserved');
    }
    expect((await Promise.all(orderIds.map(order))).map((view) => settledPath(view.history).length)).toEqual(
      orderIds.map(() => 3),
    );
    expect(await openDeadLetters(orderIds)).toEqual([]);
    expect(await parkedFor(orderIds)).toEqual([]);
  });

  it('applies a record once, with no dead letter, when the saga process is killed after its write', async () => {
    // Prepare: every saga invocation is killed (SIGKILL) as soon as its handler has finished.
    const saga = runtime.fn('SagaConsumerFunction');
    const crash = await controlPlane('/_local/faults/lambda-crash', {
      method: 'POST',
      body: { functionName: saga.definition.name, probability: 1, afterMs: 60_000 },
    });
    expect(crash.status).toBe(201);
    const faultId = (crash.body as { id: string }).id;

    // Act
    const orderId = await place('c-killed');
    await waitFor(async () => (await order(orderId)).status !== 'PENDING', {
      timeoutMs: 60_000,
      description: 'the killed invocation wrote the reservation',
    });
    expect((await controlPlane(`/_local/faults/${faultId}`, { method: 'DELETE' })).status).toBe(204);
    // The saga keeps no idempotency record: the killed invocation's batch is delivered again, the
    // handler runs again, finds the order past the event and writes nothing (its save is conditioned
    // on the status and version it read).
    const settled = await settle(orderId);

    // Assess
    expect(settled.status).toBe('CONFIRMED');
    expect(settledPath(settled.history)).toEqual(['PENDING', 'STOCK_RESERVED', 'CONFIRMED']);
    const emitted = (
      await emittedEvents(localDynamoClientConfig(runtime.dynamoEndpoint), tableName(runtime, 'OrdersTable'))
    ).filter((event) => event.aggregateId === orderId);
    expect(emitted.map((event) => event.eventType).sort()).toEqual(['OrderConfirmed', 'OrderCreated']);
    expect(await openDeadLetters([orderId])).toEqual([]);
    expect(await parkedFor([orderId])).toEqual([]);
  });

  it('cancels an order whose payment never happened once it times out, and gives its stock back', async () => {
    // Prepare: the payment service cannot reach its table, so its StockReserved is dead-lettered there.
    const payments = runtime.fn('Payments-ConsumerFunction');
    const paymentsTable = payments.definition.environment.PAYMENTS_TABLE_NAME as string;
    await payments.reconfigure({ PAYMENTS_TABLE_NAME: 'unavailable-table' });
    const before = (await http(runtime.apiUrl, `/products/${MOUSE}`)).body as { stock: number };
    const orderId = await place('c-timeout');
    await waitFor(async () => (await order(orderId)).status === 'STOCK_RESERVED', {
      timeoutMs: 60_000,
      description: 'the stock reserved, the payment stuck',
    });
    await runtime.fn('Orders-Reconciler').reconfigure({ ORDER_TIMEOUT_SECONDS: '1' });

    // Act: the reconciler's schedule fires until the order is older than its timeout. The payment
    // service comes back only then: before, its parked StockReserved could be retried and pay first.
    const reconciled = await waitFor(
      async () => {
        const run = await runtime.triggerSchedule('Orders-Reconciler');
        const payload = run.ok ? (run.payload as { timedOut?: string[] }) : undefined;
        return payload?.timedOut?.length ? payload : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'the reconciler timed the order out' },
    );
    await payments.reconfigure({ PAYMENTS_TABLE_NAME: paymentsTable });

    // Assess
    expect(reconciled).toMatchObject({ timedOut: [orderId] });
    const cancelled = await settle(orderId);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.history.at(-1)?.reason).toMatch(/timed out/);
    await waitFor(
      async () =>
        ((await http(runtime.apiUrl, `/products/${MOUSE}`)).body as { stock: number }).stock === before.stock,
      { timeoutMs: 60_000, description: 'the reservation released' },
    );
    const again = await runtime.triggerSchedule('Orders-Reconciler');
    expect(again.ok && again.payload).toMatchObject({ timedOut: [] });
  });
});
