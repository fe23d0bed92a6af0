import '#test/unit/setup-env';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SweepIncompleteError } from '#platform/handlers/outbox-sweeper';
import type { OutboundMessage, SendOptions } from '#platform/outbox/producer';
import { lambdaContext } from '#test/helpers/fixtures';
import { outboxRowFor } from '#test/unit/helpers/outbox';

const kafka = vi.hoisted(() => ({
  send: vi.fn(async (_messages: readonly OutboundMessage[], _options?: SendOptions): Promise<void> => {}),
}));

vi.mock('#platform/outbox/kafka-producer', () => ({
  kafkaSettingsOf: () => ({ bootstrapBrokers: 'localhost:9092' }),
  KafkaEventProducer: class {
    send(messages: readonly OutboundMessage[], options?: SendOptions) {
      return kafka.send(messages, options);
    }
    async disconnect() {}
  },
}));

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2025-03-01T12:10:00.000Z');

async function sweep(remainingMs = 10_000) {
  const { handler } = await import('#platform/handlers/outbox-sweeper');
  return handler({}, lambdaContext({ getRemainingTimeInMillis: () => remainingMs }));
}

describe('Handler: outbox sweeper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    ddb.reset();
    ddb.on(UpdateCommand).resolves({});
    kafka.send.mockReset().mockResolvedValue(undefined);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('looks for rows older than the two-minute grace period and does nothing when there are none', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });

    // Act
    const result = await sweep();

    // Assess
    expect(result).toEqual({ found: 0, published: 0, quarantined: 0, complete: true });
    const cutoffs = ddb
      .commandCalls(QueryCommand)
      .map((call) => call.args[0].input.ExpressionAttributeValues?.[':cutoff']);
    expect(new Set(cutoffs)).toEqual(new Set(['2025-03-01T12:08:00.000Z']));
    expect(kafka.send).not.toHaveBeenCalled();
  });

  it('republishes stale rows oldest first and marks them published', async () => {
    // Prepare
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
      Items: input.ExpressionAttributeValues?.[':shard'] === '4' ? [outboxRowFor(2), outboxRowFor(1)] : [],
    }));

    // Act
    const result = await sweep();

    // Assess
    expect(result).toEqual({ found: 2, published: 2, quarantined: 0, complete: true });
    expect(kafka.send.mock.calls[0]?.[0].map((message) => message.headers.eventId)).toEqual([
      outboxRowFor(1).eventId,
      outboxRowFor(2).eventId,
    ]);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
  });

  it('fails the invocation with SweepIncompleteError when Kafka does not acknowledge', async () => {
    // Prepare
    const cause = new Error('broker unavailable');
    kafka.send.mockRejectedValue(cause);
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
      Items: input.ExpressionAttributeValues?.[':shard'] === '0' ? [outboxRowFor(1)] : [],
    }));

    // Act
    const outcome = await sweep().catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(SweepIncompleteError);
    expect(outcome).toMatchObject({ message: 'Swept 0 of 1 stale outbox rows', cause });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
  it('quarantines a row that can never be published and republishes the others', async () => {
    // Prepare
    const poison = { ...outboxRowFor(1), event: 'not json' };
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
      Items: input.ExpressionAttributeValues?.[':shard'] === '0' ? [poison, outboxRowFor(2)] : [],
    }));

    // Act
    const result = await sweep();

    // Assess
    expect(result).toEqual({ found: 2, published: 1, quarantined: 1, complete: true });
    expect(kafka.send.mock.calls.map(([messages]) => messages.map((m) => m.headers.eventId))).toEqual([
      [outboxRowFor(2).eventId],
    ]);
    const updates = ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map((input) => [input.Key?.sk, input.ExpressionAttributeValues?.[':reason']])).toEqual(
      expect.arrayContaining([
        [poison.sk, 'EVENT_NOT_JSON'],
        [outboxRowFor(2).sk, undefined],
      ]),
    );
  });

  it('reads a shard page after page until it is empty, within one run', async () => {
    // Prepare
    const pages = [
      { Items: [outboxRowFor(1), outboxRowFor(2)], LastEvaluatedKey: { page: 1 } },
      { Items: [outboxRowFor(3), outboxRowFor(4)], LastEvaluatedKey: { page: 2 } },
      { Items: [outboxRowFor(5)] },
    ];
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      if (input.ExpressionAttributeValues?.[':shard'] !== '6') return { Items: [] };
      const page = (input.ExclusiveStartKey as { page?: number } | undefined)?.page ?? 0;
      return pages[page];
    });

    // Act
    const result = await sweep();

    // Assess
    expect(result).toEqual({ found: 5, published: 5, quarantined: 0, complete: true });
    expect(kafka.send.mock.calls.flatMap(([messages]) => messages.map((m) => m.headers.eventId))).toEqual(
      [1, 2, 3, 4, 5].map((index) => outboxRowFor(index).eventId),
    );
  });

  it('stops when its time budget is spent and reports the sweep incomplete, without failing', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [outboxRowFor(1)], LastEvaluatedKey: { more: true } });

    // Act
    const result = await sweep(1_000);

    // Assess
    expect(result).toEqual({ found: 0, published: 0, quarantined: 0, complete: false });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it('gives every send the deadline of its invocation, less the margin to report', async () => {
    // Prepare
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({
      Items: input.ExpressionAttributeValues?.[':shard'] === '1' ? [outboxRowFor(1)] : [],
    }));

    // Act
    await sweep(30_000);

    // Assess
    expect(kafka.send.mock.calls.map(([, options]) => options)).toEqual([
      { deadline: NOW.getTime() + 27_000 },
    ]);
  });
});
