import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBridge } from '#localstack/bridge/bridge';
import { bridgedMappingsOf } from '#localstack/bridge/mappings';
import { KafkaMock } from '#localstack/engines/index';
import { ControlPlane } from '#localstack/runtime/control-plane';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { ROOT } from '#test/helpers/local-runtime';
import { waitFor } from '#test/helpers/wait';

const RECORDER = join(ROOT, 'test/fixtures/functions/recorder.mjs');
const CLUSTER_ARN =
  'arn:aws:kafka:us-east-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1';
const TOPIC = 'orders.events';

/**
 * The bridge of the LocalStack path against the local runtime's own Lambda Invoke endpoint (the
 * control plane), standing in for LocalStack's: records of a Kafka topic reach the function through
 * the Invoke API in the MSK event's shape, failures are retried, offsets are committed.
 */
describe('Class: KafkaBridge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-'));
  const logs = new LogSink(join(dir, 'log'), false);
  let mock: KafkaMock;
  let producer: Producer;
  let admin: Admin;
  let consumer: LocalLambda;
  let plane: ControlPlane;
  let lambda: LambdaClient;
  let bridge: KafkaBridge | undefined;

  beforeAll(async () => {
    mock = await KafkaMock.start({ brokers: 1, topics: [{ name: TOPIC, partitions: 2 }] });
    const kafka = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: false });
    admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    consumer = new LocalLambda(
      {
        logicalId: 'InventoryConsumer',
        name: 'OrderSaga-local-Inventory-ConsumerFunction',
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:OrderSaga-local-Inventory-ConsumerFunction',
        handlerFile: RECORDER,
        handlerExport: 'handler',
        // The first invocation fails: the bridge retries the batch, as Lambda's poller does.
        environment: { RECORD_FILE: join(dir, 'consumer.jsonl'), FAIL_UNTIL_ATTEMPT: '1' },
        timeoutMs: 5_000,
        memoryMb: 128,
        runtime: 'nodejs24.x',
      },
      logs,
    );
    plane = new ControlPlane({ functions: () => [consumer], mappings: () => [] }, logs);
    lambda = new LambdaClient({
      region: 'us-east-1',
      endpoint: await plane.listen(0),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    await bridge?.stop();
    lambda?.destroy();
    await plane?.stop();
    await consumer?.stop();
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
    await mock?.stop();
    await logs.close();
  });

  it('delivers the records of a topic to the function through the Invoke API, retrying a failed batch', async () => {
    // Prepare: the outputs of a deployment with -c kafkaEventSources=bridge.
    const mapping = {
      functionName: consumer.definition.name,
      functionArn: consumer.definition.arn,
      topic: TOPIC,
      consumerGroupId: 'order-saga-inventory-orders.events',
      startingPosition: 'TRIM_HORIZON',
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0.1,
      maximumRetryAttempts: 10,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
      onFailureDestination: 'arn:aws:sqs:us-east-1:000000000000:inventory-on-failure',
    };
    const outputs = {
      'OrderSaga-local-Inventory': {
        KafkaMappinginventoryordersevents: JSON.stringify(mapping),
        ApiUrl: 'http://example',
      },
    };
    await producer.send({
      topic: TOPIC,
      messages: ['a', 'b', 'c'].map((value) => ({ key: `order-${value}`, value })),
    });

    // Act
    bridge = await KafkaBridge.start({
      mappings: bridgedMappingsOf(outputs),
      bootstrapServers: mock.bootstrapServers,
      clusterArn: CLUSTER_ARN,
      lambda,
      logs,
      timeScale: 1,
    });
    const delivered = await waitFor(
      () => {
        const lines = readFileSync(join(dir, 'consumer.jsonl'), 'utf8').split('\n').filter(Boolean);
        const events = lines.map(
          (line) =>
            (
              JSON.parse(line) as {
                event: { eventSource: string; records: Record<string, { value: string }[]> };
              }
            ).event,
        );
        const values = events
          .slice(1)
          .flatMap((event) => Object.values(event.records).flat())
          .map((record) => Buffer.from(record.value, 'base64').toString());
        return values.length >= 3 ? { events, values } : undefined;
      },
      { timeoutMs: 30_000, description: 'the records delivered after the failed first invocation' },
    );
    const committed = await waitFor(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: mapping.consumerGroupId, topics: [TOPIC] });
        const total = (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(Number(p.offset), 0), 0);
        return total === 3 ? total : undefined;
      },
      { timeoutMs: 30_000, description: 'the offsets committed' },
    );

    // Assess
    expect(delivered.events[0]).toMatchObject({ eventSource: 'aws:kafka', eventSourceArn: CLUSTER_ARN });
    expect(Object.keys(delivered.events[0]?.records ?? {}).every((key) => key.startsWith(`${TOPIC}-`))).toBe(
      true,
    );
    expect(delivered.values.sort()).toEqual(['a', 'b', 'c']);
    expect(committed).toBe(3);
  });
});
