import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaMock } from '#localstack/engines/index';
import { KafkaMapping, type KafkaMappingDefinition, type MskRecord } from '#localstack/runtime/kafka-mapping';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import type { OnFailureRecord } from '#localstack/runtime/on-failure';
import { ROOT } from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

const RECORDER = join(ROOT, 'test/fixtures/functions/recorder.mjs');
const STUB = join(ROOT, 'test/integration/runtime/fixtures/kafka-stub.mjs');
const CLUSTER_ARN = 'arn:aws:kafka:us-east-1:000000000000:cluster/local/1';

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** The topics of this file, one per test so that no test sees another's records. */
const TOPICS = {
  ordered: 3,
  poison: 1,
  limited: 1,
  partitions: 2,
  filled: 3,
  window: 1,
  partial: 2,
  aged: 1,
  filtered: 1,
  disabled: 1,
  paused: 1,
  latest: 2,
} as const;

describe('Class: KafkaMapping (Kafka mock)', () => {
  let mock: KafkaMock;
  let producer: Producer;
  let admin: Admin;
  let logs: LogSink;
  const dir = mkdtempSync(join(tmpdir(), 'kafka-mapping-'));
  const open: { mapping: KafkaMapping; fn: LocalLambda }[] = [];

  beforeAll(async () => {
    mock = await KafkaMock.start({
      brokers: 1,
      topics: Object.entries(TOPICS).map(([name, partitions]) => ({ name, partitions })),
    });
    const kafka = new Kafka({ brokers: mock.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: false });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    logs = new LogSink(join(dir, 'log'), false);
  });

  afterEach(async () => {
    for (const { mapping, fn } of open.splice(0)) {
      await mapping.stop();
      await fn.stop();
    }
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await logs?.close();
    await mock?.stop();
  });

  const send = (topic: string, messages: { partition?: number; value: unknown; timestamp?: number }[]) =>
    producer.send({
      topic,
      messages: messages.map(({ partition, value, timestamp }) => ({
        partition: partition ?? 0,
        value: typeof value === 'string' ? value : JSON.stringify(value),
        ...(timestamp === undefined ? {} : { timestamp: String(timestamp) }),
      })),
    });

  /** The committed offset of each partition of `topic` for the consumer group `groupId`. */
  const committed = async (groupId: string, topic: string): Promise<Record<number, number>> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(
      (offsets?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]),
    );
  };

  const start = async (
    name: string,
    overrides: Partial<KafkaMappingDefinition>,
    { handler = RECORDER, env = {} }: { handler?: string; env?: Record<string, string> } = {},
  ) => {
    const recordFile = join(dir, `${name}.jsonl`);
    const fn = new LocalLambda(
      {
        logicalId: name,
        name,
        arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        handlerFile: handler,
        handlerExport: 'handler',
        environment: { RECORD_FILE: recordFile, ...env },
        timeoutMs: 5_000,
        memoryMb: 128,
      },
      logs,
    );
    const failures: OnFailureRecord[] = [];
    /** The invocation events the on-failure destination got with each record (what S3 keeps). */
    const payloads: unknown[] = [];
    const mapping = new KafkaMapping(
      {
        logicalId: name,
        fn,
        clusterArn: CLUSTER_ARN,
        topics: ['ordered'],
        consumerGroupId: `group-${name}`,
        batchSize: 5,
        maxBatchingWindowMs: 100,
        startingPosition: 'TRIM_HORIZON',
        maxRetryAttempts: -1,
        bisectOnError: false,
        onFailure: (record, payload) => {
          failures.push(record);
          payloads.push(payload);
        },
        ...overrides,
      },
      mock.bootstrapServers,
      logs,
      { retryBaseDelayMs: 10, partitionsConcurrently: 3 },
    );
    open.push({ mapping, fn });
    await mapping.start();
    /** The events the function was invoked with, in order. */
    const invocations = () => {
      let lines: string[] = [];
      try {
        lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        lines = [];
      }
      return lines.map(
        (line) =>
          JSON.parse(line) as {
            event: { eventSource: string; bootstrapServers: string; records: Record<string, MskRecord[]> };
          },
      );
    };
    /** Per invocation, `topic-partition` → the offsets it carried. */
    const offsets = () =>
      invocations().map(({ event }) =>
        Object.fromEntries(
          Object.entries(event.records).map(([key, records]) => [key, records.map((r) => r.offset)]),
        ),
      );
    return { mapping, fn, failures, payloads, invocations, offsets };
  };

  it('delivers every record in the MSK event shape, in order per partition, in batches of at most BatchSize', async () => {
    // Prepare
    await producer.send({
      topic: 'ordered',
      messages: Array.from({ length: 30 }, (_, i) => ({
        key: `order-${i % 6}`,
        value: JSON.stringify({ seq: i }),
        headers: { eventType: 'OrderCreated' },
      })),
    });

    // Act
    const { invocations } = await start('ordered', {});

    // Assess
    const records = await waitFor(
      () => {
        const all = invocations().flatMap((invocation) => Object.values(invocation.event.records).flat());
        return all.length >= 30 ? all : undefined;
      },
      { timeoutMs: 30_000, description: '30 records delivered' },
    );
    expect(invocations().every((invocation) => invocation.event.eventSource === 'aws:kafka')).toBe(true);
    expect(
      invocations().every((invocation) => Object.values(invocation.event.records).flat().length <= 5),
    ).toBe(true);
    for (let key = 0; key < 6; key++) {
      const seqs = records
        .filter((record) => decode(record.key ?? '') === `order-${key}`)
        .map((record) => (JSON.parse(decode(record.value)) as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength(5);
    }
    const [first] = records;
    expect(Buffer.from(first?.headers[0]?.eventType ?? []).toString()).toBe('OrderCreated');
  });

  it('carries the records of several partitions in one invocation, each list in offset order', async () => {
    // Prepare
    await send('partitions', [
      { partition: 0, value: 'a' },
      { partition: 1, value: 'b' },
      { partition: 0, value: 'c' },
      { partition: 1, value: 'd' },
    ]);

    // Act
    const { offsets, invocations } = await start('partitions', {
      topics: ['partitions'],
      batchSize: 10,
      maxBatchingWindowMs: 1_000,
    });

    // Assess
    await waitFor(() => offsets().flatMap((batch) => Object.values(batch).flat()).length >= 4, {
      timeoutMs: 30_000,
      description: 'the four records delivered',
    });
    expect(offsets()).toEqual([{ 'partitions-0': [0, 1], 'partitions-1': [0, 1] }]);
    const [invocation] = invocations();
    expect(invocation?.event.records['partitions-1']?.map((record) => decode(record.value))).toEqual([
      'b',
      'd',
    ]);
    expect(invocation?.event.bootstrapServers).toBe(mock.bootstrapServers);
  });

  it('invokes as soon as BatchSize records arrived, long before the batching window ends', async () => {
    // Prepare
    const { offsets } = await start('filled', {
      topics: ['filled'],
      batchSize: 4,
      maxBatchingWindowMs: 20_000,
    });
    const sent = Date.now();

    // Act
    await send('filled', [
      { partition: 0, value: 'a' },
      { partition: 1, value: 'b' },
      { partition: 2, value: 'c' },
      { partition: 0, value: 'd' },
    ]);

    // Assess
    await waitFor(() => offsets().length >= 1, {
      timeoutMs: 15_000,
      description: 'the full batch delivered',
    });
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(offsets()).toEqual([{ 'filled-0': [0, 1], 'filled-1': [0], 'filled-2': [0] }]);
  });

  it('gathers fewer than BatchSize records for the whole batching window before invoking', async () => {
    // Prepare
    const { offsets } = await start('window', {
      topics: ['window'],
      batchSize: 100,
      maxBatchingWindowMs: 1_500,
    });

    // Act
    const sent = Date.now();
    await send('window', [{ value: 'a' }, { value: 'b' }]);
    await send('window', [{ value: 'c' }]);

    // Assess
    await waitFor(() => offsets().length >= 1, { timeoutMs: 15_000, description: 'the batch delivered' });
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1_400);
    expect(offsets()).toEqual([{ 'window-0': [0, 1, 2] }]);
  });

  it('retries a failing batch until the function succeeds, then moves on', async () => {
    // Prepare
    await send('poison', [{ value: 'one' }]);

    // Act
    const { invocations } = await start(
      'retried',
      { topics: ['poison'] },
      { env: { FAIL_UNTIL_ATTEMPT: '2' } },
    );

    // Assess
    const calls = await waitFor(() => (invocations().length >= 3 ? invocations() : undefined), {
      timeoutMs: 20_000,
      description: 'two failures and a success',
    });
    expect(calls).toHaveLength(3);
  });

  it('commits up to the first reported record of a partial batch response and redelivers from it', async () => {
    // Prepare
    await send('partial', [
      { partition: 0, value: { n: 0 } },
      { partition: 0, value: { n: 1 } },
      { partition: 0, value: { n: 2, reportTimes: 99 } },
      { partition: 0, value: { n: 3 } },
      { partition: 1, value: { n: 4 } },
    ]);

    // Act
    const { offsets } = await start(
      'partial',
      { topics: ['partial'], batchSize: 10, maxBatchingWindowMs: 500, reportBatchItemFailures: true },
      { handler: STUB },
    );

    // Assess
    await waitFor(() => offsets().length >= 3, { timeoutMs: 30_000, description: 'two redeliveries' });
    expect(offsets().slice(0, 3)).toEqual([
      { 'partial-0': [0, 1, 2, 3], 'partial-1': [0] },
      { 'partial-0': [2, 3] },
      { 'partial-0': [2, 3] },
    ]);
    await waitFor(
      async () => {
        const offsetsNow = await committed('group-partial', 'partial');
        return offsetsNow[0] === 2 && offsetsNow[1] === 1;
      },
      { timeoutMs: 10_000, description: 'partition 0 committed up to offset 2, partition 1 entirely' },
    );
  });

  it('sends records to the on-failure destination, with the payload, after the retry limit and delivers what follows', async () => {
    // Prepare
    await send('limited', [{ value: 'two' }]);

    // Act
    const { mapping, invocations, failures, payloads } = await start(
      'limited',
      { topics: ['limited'], maxRetryAttempts: 1 },
      { env: { FAIL_UNTIL_ATTEMPT: '4' } },
    );
    await waitFor(() => failures.length >= 1, { timeoutMs: 20_000, description: 'first batch discarded' });
    await send('limited', [{ value: 'three' }]);

    // Assess
    await waitFor(
      () =>
        invocations().some((invocation) =>
          Object.values(invocation.event.records)
            .flat()
            .some((r) => decode(r.value) === 'three'),
        ),
      { timeoutMs: 20_000, description: 'later record delivered' },
    );
    const [discarded] = invocations()[0]?.event.records['limited-0'] ?? [];
    expect(failures[0]).toStrictEqual({
      requestContext: {
        requestId: expect.any(String),
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:limited',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KafkaBatchInfo: {
        batchSize: 1,
        eventSourceArn: CLUSTER_ARN,
        bootstrapServers: mock.bootstrapServers,
        payloadSize: expect.any(Number),
        recordsInfo: {
          'limited-0': {
            firstRecordOffset: '0',
            lastRecordOffset: '0',
            firstRecordTimestamp: new Date(discarded?.timestamp ?? 0).toISOString(),
            lastRecordTimestamp: new Date(discarded?.timestamp ?? 0).toISOString(),
          },
        },
      },
    });
    expect(mapping.discarded).toEqual(failures);
    expect(payloads[0]).toEqual(invocations()[0]?.event);
  });

  it('drops only the records older than the maximum record age and delivers the rest', async () => {
    // Prepare
    const hourAgo = Date.now() - 3_600_000;
    await send('aged', [{ value: 'old', timestamp: hourAgo }, { value: 'fresh' }]);

    // Act
    const { invocations, failures } = await start('aged', { topics: ['aged'], maxRecordAgeSeconds: 60 });

    // Assess
    await waitFor(() => invocations().length >= 1, { timeoutMs: 20_000, description: 'the fresh record' });
    expect(
      invocations().flatMap(({ event }) =>
        Object.values(event.records)
          .flat()
          .map((r) => decode(r.value)),
      ),
    ).toEqual(['fresh']);
    expect(failures).toHaveLength(1);
    expect(failures[0]).not.toHaveProperty('responseContext');
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      KafkaBatchInfo: {
        batchSize: 1,
        recordsInfo: {
          'aged-0': { firstRecordOffset: '0', firstRecordTimestamp: new Date(hourAgo).toISOString() },
        },
      },
    });
    await waitFor(async () => (await committed('group-aged', 'aged'))[0] === 2, {
      timeoutMs: 10_000,
      description: 'both records committed',
    });
  });

  it('delivers only records whose value matches the filter criteria and commits the others', async () => {
    // Prepare
    await send('filtered', [
      { value: { kind: 'keep', n: 1 } },
      { value: { kind: 'drop', n: 2 } },
      { value: 'not json' },
      { value: { kind: 'keep', n: 4 } },
      { value: { kind: 'drop', n: 5 } },
    ]);

    // Act
    const { invocations } = await start('filtered', {
      topics: ['filtered'],
      filters: [{ value: { kind: ['keep'] } }],
    });

    // Assess
    await waitFor(async () => (await committed('group-filtered', 'filtered'))[0] === 5, {
      timeoutMs: 20_000,
      description: 'every record committed',
    });
    expect(
      invocations().flatMap(({ event }) =>
        Object.values(event.records)
          .flat()
          .map((r) => (JSON.parse(decode(r.value)) as { n: number }).n),
      ),
    ).toEqual([1, 4]);
  });

  it('has joined its group and owns its partitions when start resolves, so a LATEST mapping gets the next record', async () => {
    // Prepare: what was on the topic before the mapping existed is not for a LATEST mapping.
    await send('latest', [{ value: 'before', partition: 0 }]);
    const latest = await start('latest', { topics: ['latest'], startingPosition: 'LATEST' });

    // Act
    await send('latest', [
      { value: 'after-0', partition: 0 },
      { value: 'after-1', partition: 1 },
    ]);

    // Assess
    await waitFor(() => latest.offsets().flatMap((batch) => Object.values(batch).flat()).length >= 2, {
      timeoutMs: 20_000,
      description: 'both records sent after the start delivered',
    });
    const delivered = latest
      .invocations()
      .flatMap(({ event }) => Object.values(event.records).flat())
      .map((record) => decode(record.value));
    expect(delivered.sort()).toEqual(['after-0', 'after-1']);
  });

  it('does not poll while disabled, and delivers from the start once enabled', async () => {
    // Prepare
    await send('disabled', [{ value: 'a' }, { value: 'b' }]);
    const control = await start('disabled-control', { topics: ['disabled'] });
    const disabled = await start('disabled', { topics: ['disabled'], enabled: false });
    await waitFor(() => control.offsets().flatMap((batch) => Object.values(batch).flat()).length >= 2, {
      timeoutMs: 20_000,
      description: 'the enabled mapping delivered both records',
    });
    expect(disabled.invocations()).toEqual([]);
    expect(disabled.mapping.control.state).toBe('Disabled');

    // Act
    await disabled.mapping.setEnabled(true);

    // Assess
    await waitFor(() => disabled.offsets().length >= 1, {
      timeoutMs: 20_000,
      description: 'records delivered',
    });
    expect(disabled.offsets()).toEqual([{ 'disabled-0': [0, 1] }]);
    expect(disabled.mapping.control.state).toBe('Enabled');
  });

  it('stops polling when disabled and goes on from the committed offsets when enabled again', async () => {
    // Prepare
    const paused = await start('paused', { topics: ['paused'] });
    await send('paused', [{ value: 'a' }]);
    await waitFor(() => paused.offsets().length >= 1, { timeoutMs: 20_000, description: 'first record' });
    await paused.mapping.setEnabled(false);
    const control = await start('paused-control', { topics: ['paused'] });
    await send('paused', [{ value: 'b' }, { value: 'c' }]);
    await waitFor(() => control.offsets().flatMap((batch) => Object.values(batch).flat()).length >= 3, {
      timeoutMs: 20_000,
      description: 'the other mapping delivered the records sent while paused',
    });
    expect(paused.offsets()).toEqual([{ 'paused-0': [0] }]);

    // Act
    await paused.mapping.setEnabled(true);

    // Assess
    await waitFor(() => paused.offsets().length >= 2, {
      timeoutMs: 20_000,
      description: 'records after resume',
    });
    expect(paused.offsets()).toEqual([{ 'paused-0': [0] }, { 'paused-0': [1, 2] }]);
  });
});
