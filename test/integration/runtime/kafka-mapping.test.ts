import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaMock } from '#localstack/engines/index';
import { KafkaMapping, type KafkaMappingDefinition } from '#localstack/runtime/kafka-mapping';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { ROOT } from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

interface MskRecord {
  topic: string;
  partition: number;
  offset: number;
  key?: string;
  value: string;
  headers: Record<string, number[]>[];
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

describe('Class: KafkaMapping (Kafka mock)', () => {
  let mock: KafkaMock;
  let producer: Producer;
  let logs: LogSink;
  const dir = mkdtempSync(join(tmpdir(), 'kafka-mapping-'));
  const open: { mapping: KafkaMapping; fn: LocalLambda }[] = [];

  beforeAll(async () => {
    mock = await KafkaMock.start({
      brokers: 1,
      topics: [
        { name: 'orders.events', partitions: 3 },
        { name: 'poison.events', partitions: 1 },
      ],
    });
    producer = new Kafka({ brokers: mock.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).producer({
      idempotent: false,
    });
    await producer.connect();
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
    await logs?.close();
    await mock?.stop();
  });

  const start = async (
    name: string,
    overrides: Partial<KafkaMappingDefinition>,
    env: Record<string, string> = {},
  ) => {
    const recordFile = join(dir, `${name}.jsonl`);
    const fn = new LocalLambda(
      {
        logicalId: name,
        name,
        arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        handlerFile: join(ROOT, 'test/fixtures/functions/recorder.mjs'),
        handlerExport: 'handler',
        environment: { RECORD_FILE: recordFile, ...env },
        timeoutMs: 5_000,
        memoryMb: 128,
      },
      logs,
    );
    const mapping = new KafkaMapping(
      {
        logicalId: name,
        fn,
        clusterArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/1',
        topics: ['orders.events'],
        consumerGroupId: `group-${name}`,
        batchSize: 5,
        maxBatchingWindowMs: 100,
        startingPosition: 'TRIM_HORIZON',
        maxRetryAttempts: -1,
        bisectOnError: false,
        ...overrides,
      },
      mock.bootstrapServers,
      logs,
      { retryBaseDelayMs: 10, partitionsConcurrently: 3 },
    );
    await mapping.start();
    open.push({ mapping, fn });
    const invocations = () => {
      let lines: string[] = [];
      try {
        lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        lines = [];
      }
      return lines.map(
        (line) =>
          JSON.parse(line) as { event: { eventSource: string; records: Record<string, MskRecord[]> } },
      );
    };
    return { mapping, fn, invocations };
  };

  it('delivers every record in the MSK event shape, in order per partition, in batches of at most BatchSize', async () => {
    // Prepare
    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `order-${i % 6}`,
      value: JSON.stringify({ seq: i }),
      headers: { eventType: 'OrderCreated' },
    }));
    await producer.send({ topic: 'orders.events', messages });

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

  it('retries a failing batch until the function succeeds, then moves on', async () => {
    // Prepare
    await producer.send({ topic: 'poison.events', messages: [{ key: 'k', value: 'one' }] });

    // Act
    const { invocations } = await start(
      'retried',
      { topics: ['poison.events'] },
      { FAIL_UNTIL_ATTEMPT: '2' },
    );

    // Assess
    const calls = await waitFor(() => (invocations().length >= 3 ? invocations() : undefined), {
      timeoutMs: 20_000,
      description: 'two failures and a success',
    });
    expect(calls).toHaveLength(3);
  });

  it('sends a batch to the on-failure destination after the retry limit and delivers what follows', async () => {
    // Prepare
    const failures: Record<string, unknown>[] = [];
    await producer.send({ topic: 'poison.events', messages: [{ key: 'k', value: 'two' }] });

    // Act
    const { mapping, invocations } = await start(
      'limited',
      {
        topics: ['poison.events'],
        maxRetryAttempts: 1,
        onFailure: (destination) => failures.push(destination),
      },
      { FAIL_UNTIL_ATTEMPT: '4' },
    );
    await waitFor(() => failures.length >= 1, { timeoutMs: 20_000, description: 'first batch discarded' });
    await producer.send({ topic: 'poison.events', messages: [{ key: 'k', value: 'three' }] });

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
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KafkaBatchInfo: { topic: 'poison.events' },
    });
    expect(mapping.discarded.length).toBeGreaterThanOrEqual(1);
  });
});
