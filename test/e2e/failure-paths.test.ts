import { readFileSync } from 'node:fs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '#localstack/runtime/runtime';
import { rawOutboxRow } from '#platform/outbox/row';
import { admin, customer } from '../helpers/auth';
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

const STAND = '55555555-5555-5555-5555-555555555555';

interface DeadLetterView {
  id: string;
  service: string;
  key: string;
  eventType: string | null;
  errorKind: string;
  attempts: number;
  rawValue: string;
}

/** An outbox row as a writer would put it, with the fields given replaced. */
function outboxRowOf(aggregateId: string, fields: Record<string, unknown>) {
  const eventId = ulid();
  return {
    ...rawOutboxRow({
      aggregateId,
      eventId,
      eventType: 'NotificationSent',
      topic: 'notifications.events',
      messageKey: aggregateId,
      event: '{}',
      createdAt: new Date().toISOString(),
    }),
    ...fields,
  };
}

/** A valid NotificationSent envelope (the sample) with a new event id. */
function notificationSent(aggregateId: string): { eventId: string; json: string } {
  const sample = JSON.parse(
    readFileSync(`${ROOT}/events/samples/NotificationSent.v1.json`, 'utf8'),
  ) as Record<string, unknown>;
  const eventId = ulid();
  return { eventId, json: JSON.stringify({ ...sample, eventId, aggregateId }) };
}

describe('End to end: failures stay isolated to the record that causes them', () => {
  let runtime: LocalRuntime;
  let observer: { messages: ReceivedMessage[]; stop: () => Promise<void> } | undefined;

  beforeAll(async () => {
    // No grace period: the sweeper takes every unpublished row when the test triggers it.
    runtime = await startRuntime({ environment: { OUTBOX_GRACE_SECONDS: '0' }, timeScale: 50 });
    observer = await collectTopic(runtime.kafkaBootstrap, ['orders.events', 'notifications.events']);
  });

  afterAll(async () => {
    await observer?.stop();
    await runtime?.stop();
  });

  const received = () => observer?.messages ?? [];

  it('quarantines poison outbox rows put straight into a service table, and the relay and the sweeper go on', async () => {
    // Prepare
    const db = documentClient(runtime);
    const table = tableName(runtime, 'OrdersTable');
    const put = (item: Record<string, unknown>) => db.send(new PutCommand({ TableName: table, Item: item }));
    const relay = runtime.mappings.find((mapping) => mapping.definition.tableName === table);
    const notJson = outboxRowOf('poison-relay', { event: 'this is not an event' });
    const unknownTopic = outboxRowOf('poison-sweeper', { topic: 'audit.events' });
    const valid = notificationSent('healthy-sweeper');
    const validRow = outboxRowOf('healthy-sweeper', {
      eventId: valid.eventId,
      sk: valid.eventId,
      event: valid.json,
    });

    // Act: the relay meets a poison row first, then the rows of an order.
    await put(notJson);
    const shopper = await customer(runtime, 'poison');
    const created = await postOrder(
      runtime.apiUrl,
      {
        items: [{ productId: STAND, quantity: 1 }],
        payment: { method: 'card', token: 'tok_ok' },
      },
      'poison-1',
      shopper.headers,
    );
    const orderId = (created.body as { orderId: string }).orderId;
    await waitFor(() => received().some((message) => message.key === orderId), {
      timeoutMs: 30_000,
      description: 'the order published by the relay after the poison row',
    });
    // Act: with the relay paused, the sweeper meets a poison row and a healthy one.
    await relay?.setEnabled(false);
    await put(unknownTopic);
    await put(validRow);
    const swept = await runtime.triggerSchedule('Orders-OutboxSweeper');
    await relay?.setEnabled(true);

    // Assess
    expect(created.status).toBe(202);
    expect(swept.ok && swept.payload).toMatchObject({ quarantined: 1, complete: true });
    await waitFor(() => received().some((message) => message.headers.eventId === valid.eventId), {
      timeoutMs: 30_000,
      description: 'the healthy row published by the sweeper',
    });
    const rows = await scanAll(db, table);
    const byKey = (row: { pk: unknown; sk: unknown }) =>
      rows.find((item) => item.pk === row.pk && item.sk === row.sk);
    expect(byKey(notJson)).toMatchObject({ quarantineReason: 'EVENT_NOT_JSON' });
    expect(byKey(unknownTopic)).toMatchObject({ quarantineReason: 'UNKNOWN_TOPIC' });
    expect(byKey(validRow)?.publishedAt).toEqual(expect.any(String));
    for (const row of [notJson, unknownTopic, validRow])
      expect(byKey(row)).not.toHaveProperty('unpublishedShard');
    expect(received().some((message) => message.value === 'this is not an event')).toBe(false);
    db.destroy();
  });

  it('records the batch a consumer keeps failing on, after its retries, as dead letters with the record values', async () => {
    // Prepare: every invocation of the notification consumer crashes.
    const consumer = runtime.fn('Notifications-ConsumerFunction');
    const fault = await runtime.faults?.add({
      type: 'lambda-crash',
      functionName: consumer.definition.name,
      probability: 1,
    });
    try {
      // Act
      const shopper = await customer(runtime, 'discarded');
      const operator = await admin(runtime);
      const created = await postOrder(
        runtime.apiUrl,
        {
          items: [{ productId: STAND, quantity: 1 }],
          payment: { method: 'card', token: 'tok_ok' },
        },
        'discarded-1',
        shopper.headers,
      );
      const orderId = (created.body as { orderId: string }).orderId;

      // Assess
      const letter = await waitFor(
        async () => {
          const response = await http(runtime.apiUrl, '/admin/dead-letters?status=OPEN&limit=100', {
            headers: operator.headers,
          });
          const items = (response.body as { items?: DeadLetterView[] }).items ?? [];
          // The consumer reads every event of orders.events; OrderCreated is the first of the order.
          return items.find(
            (item) =>
              item.service === 'notifications' && item.key === orderId && item.eventType === 'OrderCreated',
          );
        },
        { timeoutMs: 180_000, intervalMs: 500, description: 'the discarded OrderCreated as a dead letter' },
      );
      expect(letter.errorKind).toBe('HANDLER_FAILED');
      expect(letter.attempts).toBeGreaterThan(1);
      expect(JSON.parse(letter.rawValue)).toMatchObject({ eventType: 'OrderCreated', aggregateId: orderId });
      const objects = [...runtime.s3.buckets.values()].flatMap((bucket) => [...bucket.values()]);
      const withPayload = objects.map(
        (object) => JSON.parse(object.body.toString('utf8')) as { payload?: string },
      );
      expect(
        withPayload.some((object) => object.payload?.includes(Buffer.from(orderId).toString('base64'))),
      ).toBe(true);
    } finally {
      if (fault) await runtime.faults?.remove(fault.id);
    }
  });
});
