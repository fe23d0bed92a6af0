import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { customer } from '../helpers/auth';
import {
  collectTopic,
  documentClient,
  postOrder,
  type ReceivedMessage,
  scanAll,
  startRuntime,
  tableName,
} from '../helpers/local-runtime';
import { waitFor } from '../helpers/wait';

/** An order; `label` names it in the test only (the customer is the signed-in caller). */
const order = (_label: string) => ({
  items: [{ productId: '55555555-5555-5555-5555-555555555555', quantity: 1 }],
  payment: { method: 'card', token: 'tok_ok' },
});

const outage = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('End to end: the outbox loses nothing when Kafka fails', () => {
  let runtime: LocalRuntime | undefined;
  let observer: { messages: ReceivedMessage[]; stop: () => Promise<void> } | undefined;

  afterEach(async () => {
    await observer?.stop();
    await runtime?.stop();
    observer = undefined;
    runtime = undefined;
  });

  it('delivers every order placed while all brokers were down for several seconds', async () => {
    // Prepare
    runtime = await startRuntime();
    observer = await collectTopic(runtime.kafkaBootstrap, ['orders.events']);
    const shopper = await customer(runtime, 'outage');
    await runtime.kafka.allBrokersDown();

    // Act
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postOrder((runtime as LocalRuntime).apiUrl, order(`c-outage-${i}`), `outage-${i}`, shopper.headers),
      ),
    );
    await outage(5_000);
    await runtime.kafka.allBrokersUp();

    // Assess
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202));
    const orderIds = responses.map((response) => (response.body as { orderId: string }).orderId);
    const messages = (observer as { messages: ReceivedMessage[] }).messages;
    await waitFor(() => orderIds.every((id) => messages.some((message) => message.key === id)), {
      timeoutMs: 60_000,
      description: 'every OrderCreated on orders.events after the outage',
    });
    // Published from the stream once Kafka was back, within the grace period: nothing was spilled.
    const db = documentClient(runtime);
    const rows = (await scanAll(db, tableName(runtime, 'orders'))).filter((item) => item.entity === 'OUTBOX');
    expect(rows).toEqual([]);
    db.destroy();
  });

  it('catches up from the table stream when a stopped relay starts again', async () => {
    // Prepare: the relay's mapping is paused, as a relay that is behind or stopped
    runtime = await startRuntime();
    observer = await collectTopic(runtime.kafkaBootstrap, ['orders.events']);
    const shopper = await customer(runtime, 'resumed');
    const relay = runtime.mappings.find((mapping) =>
      mapping.definition.tableName.includes('Orders-OrdersTable'),
    );
    await relay?.setEnabled(false);
    const created = await postOrder(runtime.apiUrl, order('c-resumed'), 'resumed-1', shopper.headers);
    const orderId = (created.body as { orderId: string }).orderId;
    const messages = (observer as { messages: ReceivedMessage[] }).messages;
    const swept = await runtime.triggerSchedule('Orders-OutboxSweeper');

    // Act
    await relay?.setEnabled(true);

    // Assess: the event waited in the stream (the sweeper had nothing to find), then went out
    expect(created.status).toBe(202);
    expect(relay).toBeDefined();
    expect(swept.ok && swept.payload).toMatchObject({ found: 0, published: 0 });
    await waitFor(() => messages.some((message) => message.key === orderId), {
      timeoutMs: 30_000,
      description: 'OrderCreated on orders.events after the relay started again',
    });
  });

  it('hands events Kafka does not take within the grace period to the sweeper, which publishes them once Kafka is back', async () => {
    // Prepare: no grace period, every broker down
    runtime = await startRuntime({ environment: { OUTBOX_GRACE_SECONDS: '0' } });
    observer = await collectTopic(runtime.kafkaBootstrap, ['orders.events']);
    const shopper = await customer(runtime, 'swept');
    const db = documentClient(runtime);
    const table = tableName(runtime, 'orders');
    await runtime.kafka.allBrokersDown();
    const created = await postOrder(runtime.apiUrl, order('c-swept'), 'swept-1', shopper.headers);
    const orderId = (created.body as { orderId: string }).orderId;
    const spilled = await waitFor(
      async () => (await scanAll(db, table)).find((item) => item.pk === `OUTBOX#${orderId}`),
      { timeoutMs: 60_000, description: 'the relay writes the unpublished OrderCreated as an outbox row' },
    );
    await runtime.kafka.allBrokersUp();

    // Act
    const swept = await runtime.triggerSchedule('Orders-OutboxSweeper');

    // Assess
    expect(created.status).toBe(202);
    expect(spilled).toMatchObject({
      entity: 'OUTBOX',
      eventType: 'OrderCreated',
      unpublishedShard: expect.any(String),
    });
    expect(spilled.spilledAt).toBeDefined();
    expect(swept.ok).toBe(true);
    expect(swept.ok && swept.payload).toMatchObject({
      found: 1,
      published: 1,
      quarantined: 0,
      complete: true,
    });
    const messages = (observer as { messages: ReceivedMessage[] }).messages;
    await waitFor(() => messages.some((message) => message.key === orderId), {
      timeoutMs: 30_000,
      description: 'swept OrderCreated on orders.events',
    });
    const [row] = (await scanAll(db, table)).filter((item) => item.pk === `OUTBOX#${orderId}`);
    expect(row?.publishedAt).toBeDefined();
    expect(row?.unpublishedShard).toBeUndefined();
    db.destroy();
  });
});
