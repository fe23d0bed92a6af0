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
import type { OutboundMessage } from '#platform/outbox/producer';
import { lambdaContext } from '#test/helpers/fixtures';
import { outboxRowFor } from '#test/unit/helpers/outbox';

const kafka = vi.hoisted(() => ({
  send: vi.fn(async (_messages: readonly OutboundMessage[]): Promise<void> => {}),
}));

vi.mock('#platform/outbox/kafka-producer', () => ({
  kafkaSettingsOf: () => ({ bootstrapBrokers: 'localhost:9092' }),
  KafkaEventProducer: class {
    send(messages: readonly OutboundMessage[]) {
      return kafka.send(messages);
    }
    async disconnect() {}
  },
}));

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2025-03-01T12:10:00.000Z');

async function sweep() {
  const { handler } = await import('#platform/handlers/outbox-sweeper');
  return handler({}, lambdaContext());
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
    expect(result).toEqual({ found: 0, published: 0 });
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
    expect(result).toEqual({ found: 2, published: 2 });
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
});
