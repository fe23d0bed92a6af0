import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaMock } from '#localstack/engines/index';
import { ControlPlane } from '#localstack/runtime/control-plane';
import { DynamoMeter } from '#localstack/runtime/dynamo-meter';
import { LocalFaults } from '#localstack/runtime/faults';
import { KafkaMapping } from '#localstack/runtime/kafka-mapping';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { LocalStepFunctions } from '#localstack/runtime/step-functions';
import { ROOT } from '#test/helpers/local-runtime';
import { probePort } from '#test/helpers/net';
import { waitFor } from '#test/helpers/wait';

const RECORDER = join(ROOT, 'test/fixtures/functions/recorder.mjs');
const CLUSTER_ARN =
  'arn:aws:kafka:us-east-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1';
const MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:echo';
const UUID = '5a7f9a4e-0f1c-5d2b-9c3e-123456789abc';
const SDK_CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

describe('Class: ControlPlane', () => {
  const dir = mkdtempSync(join(tmpdir(), 'control-plane-'));
  const logFile = join(dir, 'log');
  let logs: LogSink;
  let mock: KafkaMock;
  let producer: Producer;
  let admin: Admin;
  let echo: LocalLambda;
  let failing: LocalLambda;
  let consumerFn: LocalLambda;
  let mapping: KafkaMapping;
  let replayer: LocalLambda;
  /** The mappings the control plane lists: the template's one, and those created through the API. */
  const mappings: KafkaMapping[] = [];
  let stepFunctions: LocalStepFunctions;
  let meter: DynamoMeter;
  let dynamoStub: Server;
  let faults: LocalFaults;
  let plane: ControlPlane;
  let url: string;

  const lambda = (name: string, env: Record<string, string> = {}) =>
    new LocalLambda(
      {
        logicalId: name,
        name,
        arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        handlerFile: RECORDER,
        handlerExport: 'handler',
        environment: { RECORD_FILE: join(dir, `${name}.jsonl`), ...env, AWS_REGION: 'us-east-1' },
        variables: { RECORD_FILE: join(dir, `${name}.jsonl`), ...env },
        timeoutMs: 5_000,
        memoryMb: 128,
        runtime: 'nodejs24.x',
        handler: 'index.handler',
      },
      logs,
    );

  beforeAll(async () => {
    logs = new LogSink(logFile, false);
    mock = await KafkaMock.start({ brokers: 2, topics: [{ name: 'control', partitions: 1 }] });
    const kafka = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer({ idempotent: false });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    echo = lambda('echo', { GREETING: 'hello' });
    failing = lambda('failing', { FAIL_UNTIL_ATTEMPT: '1000' });
    consumerFn = lambda('consumer');
    replayer = lambda('replayer');
    mapping = new KafkaMapping(
      {
        logicalId: 'ConsumerMapping',
        uuid: UUID,
        fn: consumerFn,
        clusterArn: CLUSTER_ARN,
        topics: ['control'],
        consumerGroupId: 'control-group',
        batchSize: 10,
        maxBatchingWindowMs: 100,
        startingPosition: 'TRIM_HORIZON',
        maxRetryAttempts: -1,
        bisectOnError: false,
      },
      mock.bootstrapServers,
      logs,
      { retryBaseDelayMs: 50, partitionsConcurrently: 2 },
    );
    await mapping.start();
    mappings.push(mapping);
    stepFunctions = new LocalStepFunctions(
      new Map([
        [
          MACHINE_ARN,
          {
            logicalId: 'Echo',
            arn: MACHINE_ARN,
            name: 'echo',
            definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } },
          },
        ],
      ]),
      () => undefined,
      logs,
      1,
    );
    // Stands in for DynamoDB Local behind the meter: answers every request at once.
    dynamoStub = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => dynamoStub.listen(0, '127.0.0.1', () => resolve()));
    meter = new DynamoMeter(`http://127.0.0.1:${(dynamoStub.address() as AddressInfo).port}`);
    await meter.start();
    const functions = [echo, failing, consumerFn, replayer];
    const find = (reference: string) =>
      functions.find((fn) => fn.definition.name === reference || fn.definition.arn === reference);
    faults = new LocalFaults({ kafka: mock, findFunction: find, dynamo: meter }, logs);
    plane = new ControlPlane(
      {
        functions: () => functions,
        mappings: () => mappings,
        kafka: { bootstrapServers: mock.bootstrapServers, clusterArns: () => [CLUSTER_ARN] },
        stepFunctions: () => stepFunctions,
        faults,
        createKafkaMapping: (request, fn) => {
          const created = new KafkaMapping(
            {
              logicalId: 'Created',
              uuid: 'created-mapping',
              enabled: false,
              fn,
              clusterArn: request.clusterArn,
              topics: [request.topic],
              consumerGroupId: request.consumerGroupId ?? 'created-group',
              batchSize: request.batchSize,
              maxBatchingWindowMs: request.maxBatchingWindowSeconds * 1000,
              startingPosition: request.startingPosition,
              maxRetryAttempts: request.maxRetryAttempts,
              bisectOnError: request.bisectOnError,
            },
            mock.bootstrapServers,
            logs,
            { retryBaseDelayMs: 50, partitionsConcurrently: 2 },
          );
          mappings.push(created);
          return { mapping: created, started: created.setEnabled(true) };
        },
        deleteMapping: async (removed) => {
          await removed.setEnabled(false);
          await removed.stop();
          mappings.splice(mappings.indexOf(removed as KafkaMapping), 1);
        },
      },
      logs,
    );
    url = await plane.listen(0);
  });

  afterAll(async () => {
    await plane?.stop();
    await faults?.stop();
    for (const each of mappings) await each.stop();
    await stepFunctions?.stop();
    for (const fn of [echo, failing, consumerFn, replayer]) await fn?.stop();
    await meter?.stop();
    await new Promise<void>((resolve) => (dynamoStub ? dynamoStub.close(() => resolve()) : resolve()));
    await producer?.disconnect();
    await admin?.disconnect();
    await mock?.stop();
    await logs?.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: text ? JSON.parse(text) : undefined,
    };
  };

  const committed = async () => {
    const [offsets] = await admin.fetchOffsets({ groupId: 'control-group', topics: ['control'] });
    return Number(offsets?.partitions[0]?.offset ?? -1);
  };

  describe('Lambda API', () => {
    it('lists the functions with their configuration when ListFunctions is called', async () => {
      // Act
      const { status, body } = await call('GET', '/2015-03-31/functions/');

      // Assess
      expect(status).toBe(200);
      expect(body.Functions.map((fn: { FunctionName: string }) => fn.FunctionName)).toEqual([
        'consumer',
        'echo',
        'failing',
        'replayer',
      ]);
      expect(body.Functions[1]).toMatchObject({
        FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Timeout: 5,
        MemorySize: 128,
        Version: '$LATEST',
        State: 'Active',
        Environment: { Variables: { GREETING: 'hello' } },
      });
    });

    it('answers ResourceNotFoundException for an unknown function', async () => {
      // Act
      const { status, headers, body } = await call('GET', '/2015-03-31/functions/nothing/configuration');

      // Assess
      expect(status).toBe(404);
      expect(headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
      expect(body.Message).toContain('Function not found');
    });

    it('invokes a function by ARN and returns its payload when Invoke is called', async () => {
      // Act
      const { status, headers, body } = await call(
        'POST',
        `/2015-03-31/functions/${encodeURIComponent(echo.definition.arn)}/invocations`,
        { ping: 1 },
      );

      // Assess
      expect(status).toBe(200);
      expect(headers.get('x-amz-function-error')).toBeNull();
      expect(headers.get('x-amz-executed-version')).toBe('$LATEST');
      expect(body).toEqual({ received: true, input: { ping: 1 } });
    });

    it('reports a function error with X-Amz-Function-Error when the function throws', async () => {
      // Act
      const { status, headers, body } = await call('POST', '/2015-03-31/functions/failing/invocations', {});

      // Assess
      expect(status).toBe(200);
      expect(headers.get('x-amz-function-error')).toBe('Unhandled');
      expect(body).toMatchObject({
        errorType: 'Error',
        errorMessage: expect.stringContaining('planned failure'),
      });
    });

    it('replaces the variables and restarts the function when UpdateFunctionConfiguration is called', async () => {
      // Prepare
      const before = await call('POST', '/2015-03-31/functions/echo/invocations', {});
      expect(before.status).toBe(200);

      // Act
      const updated = await call('PUT', '/2015-03-31/functions/echo/configuration', {
        Environment: { Variables: { GREETING: 'bonjour' } },
      });
      const fetched = await call('GET', '/2015-03-31/functions/echo/configuration');

      // Assess
      expect(updated.status).toBe(200);
      expect(updated.body.Environment).toEqual({ Variables: { GREETING: 'bonjour' } });
      expect(fetched.body.Environment).toEqual({ Variables: { GREETING: 'bonjour' } });
      expect(echo.definition.environment).toMatchObject({ GREETING: 'bonjour', AWS_REGION: 'us-east-1' });
      expect(echo.definition.environment).not.toHaveProperty('RECORD_FILE');
    });

    it('refuses a configuration update of anything but the environment', async () => {
      // Act
      const { status, headers } = await call('PUT', '/2015-03-31/functions/echo/configuration', {
        Timeout: 9,
      });

      // Assess
      expect(status).toBe(400);
      expect(headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
    });
  });

  describe('event source mappings', () => {
    it('lists and gets the mapping by its UUID, filtered by function and source', async () => {
      // Act
      const listed = await call('GET', `/2015-03-31/event-source-mappings/?FunctionName=consumer`);
      const other = await call('GET', `/2015-03-31/event-source-mappings/?FunctionName=echo`);
      const bySource = await call(
        'GET',
        `/2015-03-31/event-source-mappings/?EventSourceArn=${encodeURIComponent(CLUSTER_ARN)}`,
      );
      const got = await call('GET', `/2015-03-31/event-source-mappings/${UUID}`);

      // Assess
      expect(listed.body.EventSourceMappings).toHaveLength(1);
      expect(other.body.EventSourceMappings).toEqual([]);
      expect(bySource.body.EventSourceMappings).toHaveLength(1);
      expect(got.body).toMatchObject({
        UUID,
        EventSourceArn: CLUSTER_ARN,
        FunctionArn: consumerFn.definition.arn,
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 0.1,
        State: 'Enabled',
        Topics: ['control'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'control-group' },
        StartingPosition: 'TRIM_HORIZON',
      });
      expect(typeof got.body.LastModified).toBe('number');
    });

    it('pauses the consumer when Enabled is false and resumes from the committed offset', async () => {
      // Prepare
      await producer.send({ topic: 'control', messages: [{ value: 'first' }] });
      await waitFor(async () => (await committed()) === 1, {
        timeoutMs: 20_000,
        description: 'first committed',
      });

      // Act
      const paused = await call('PUT', `/2015-03-31/event-source-mappings/${UUID}`, { Enabled: false });
      await waitFor(
        async () =>
          (await call('GET', `/2015-03-31/event-source-mappings/${UUID}`)).body.State === 'Disabled',
        {
          timeoutMs: 20_000,
          description: 'mapping disabled',
        },
      );
      await producer.send({ topic: 'control', messages: [{ value: 'second' }] });
      const whilePaused = consumerFn.invocations;
      const resumed = await call('PUT', `/2015-03-31/event-source-mappings/${UUID}`, {
        Enabled: true,
        BatchSize: 5,
      });

      // Assess
      expect(paused.status).toBe(202);
      expect(paused.body.State).toBe('Disabling');
      expect(resumed.body).toMatchObject({ State: 'Enabling', BatchSize: 5 });
      await waitFor(async () => (await committed()) === 2, {
        timeoutMs: 30_000,
        description: 'second committed',
      });
      expect(whilePaused).toBe(1);
      const values = readFileSync(join(dir, 'consumer.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((line) =>
          Object.values(
            (JSON.parse(line) as { event: { records: Record<string, { value: string }[]> } }).event.records,
          )
            .flat()
            .map((record) => Buffer.from(record.value, 'base64').toString()),
        );
      expect(values).toEqual(['first', 'second']);
      expect((await call('GET', `/2015-03-31/event-source-mappings/${UUID}`)).body.State).toBe('Enabled');
    });

    it('replays a topic from the start through a created mapping with a new consumer group, then deletes it', async () => {
      // Prepare
      await producer.send({ topic: 'control', messages: [{ value: 'replayed' }] });
      const request = {
        FunctionName: 'replayer',
        EventSourceArn: CLUSTER_ARN,
        Topics: ['control'],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'control-group-replay-1' },
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 1 },
      };

      // Act
      const created = await call('POST', '/2015-03-31/event-source-mappings/', request);
      const conflict = await call('POST', '/2015-03-31/event-source-mappings/', request);
      await waitFor(
        async () =>
          (await call('GET', `/2015-03-31/event-source-mappings/${created.body.UUID}`)).body.State ===
          'Enabled',
        { timeoutMs: 20_000, description: 'the created mapping enabled' },
      );
      const replayed = await waitFor(
        () => {
          const lines = readFileSync(join(dir, 'replayer.jsonl'), 'utf8').split('\n').filter(Boolean);
          const values = lines.flatMap((line) =>
            Object.values(
              (JSON.parse(line) as { event: { records: Record<string, { value: string }[]> } }).event.records,
            )
              .flat()
              .map((record) => Buffer.from(record.value, 'base64').toString()),
          );
          return values.includes('replayed') ? values : undefined;
        },
        { timeoutMs: 20_000, description: 'the topic replayed' },
      );
      const deleted = await call('DELETE', `/2015-03-31/event-source-mappings/${created.body.UUID}`);
      await waitFor(
        async () =>
          (await call('GET', `/2015-03-31/event-source-mappings/${created.body.UUID}`)).status === 404,
        { timeoutMs: 20_000, description: 'the mapping deleted' },
      );

      // Assess
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({
        State: 'Creating',
        Topics: ['control'],
        StartingPosition: 'TRIM_HORIZON',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'control-group-replay-1' },
      });
      expect(conflict.status).toBe(409);
      expect(conflict.headers.get('x-amzn-errortype')).toBe('ResourceConflictException');
      expect(replayed[0]).toBe('first');
      expect(deleted).toMatchObject({ status: 202, body: { State: 'Deleting' } });
      expect((await call('GET', '/2015-03-31/event-source-mappings/')).body.EventSourceMappings).toHaveLength(
        1,
      );
    });

    it('refuses to create a mapping of anything but one topic of a known MSK cluster', async () => {
      // Prepare
      const base = { FunctionName: 'replayer', EventSourceArn: CLUSTER_ARN, StartingPosition: 'LATEST' };

      // Act
      const responses = await Promise.all([
        call('POST', '/2015-03-31/event-source-mappings/', { ...base, Topics: ['a', 'b'] }),
        call('POST', '/2015-03-31/event-source-mappings/', {
          ...base,
          Topics: ['control'],
          EventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/other/x',
        }),
        call('POST', '/2015-03-31/event-source-mappings/', {
          ...base,
          Topics: ['control'],
          StartingPosition: undefined,
        }),
        call('POST', '/2015-03-31/event-source-mappings/', {
          ...base,
          Topics: ['control'],
          FunctionName: 'nothing',
        }),
      ]);

      // Assess
      expect(responses.map((response) => response.status)).toEqual([400, 400, 400, 404]);
      expect(responses[0]?.body.Message).toContain('exactly one topic');
    });

    it('refuses an update of a setting the local runtime does not change', async () => {
      // Act
      const { status, body } = await call('PUT', `/2015-03-31/event-source-mappings/${UUID}`, {
        ParallelizationFactor: 2,
      });

      // Assess
      expect(status).toBe(400);
      expect(body.Message).toContain('ParallelizationFactor');
    });
  });

  describe('Kafka and Step Functions APIs through the AWS SDK', () => {
    it('returns the bootstrap brokers of the local cluster when GetBootstrapBrokers is called', async () => {
      // Prepare
      const client = new KafkaClient({ ...SDK_CONFIG, endpoint: url });

      // Act
      const brokers = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: CLUSTER_ARN }));

      // Assess
      expect(brokers.BootstrapBrokerString).toBe(mock.bootstrapServers);
      await expect(
        client.send(new GetBootstrapBrokersCommand({ ClusterArn: `${CLUSTER_ARN}-unknown` })),
      ).rejects.toMatchObject({ name: 'NotFoundException' });
      client.destroy();
    });

    it('starts and describes an execution when the Step Functions API is called', async () => {
      // Prepare
      const client = new SFNClient({ ...SDK_CONFIG, endpoint: url });

      // Act
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: '{"a":1}' }),
      );
      const described = await waitFor(
        async () => {
          const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
          return execution.status === 'SUCCEEDED' ? execution : undefined;
        },
        { description: 'execution succeeded' },
      );

      // Assess
      expect(described.output).toBe('{"a":1}');
      client.destroy();
    });
  });

  describe('local faults', () => {
    it('takes one broker down until the fault expires', async () => {
      // Prepare
      const port = (index: number) => Number(mock.brokers[index]?.split(':')[1]);

      // Act
      const created = await call('POST', '/_local/faults/kafka-brokers-down', {
        brokerIds: [2],
        durationSeconds: 2,
      });

      // Assess
      expect(created.status).toBe(201);
      expect((await call('GET', '/_local/faults')).body.faults).toEqual([created.body]);
      expect(await probePort(port(1))).toBe('refused');
      expect(await probePort(port(0))).toBe('accepted');
      await waitFor(async () => (await call('GET', '/_local/faults')).body.faults.length === 0, {
        description: 'fault expired',
      });
      expect(await probePort(port(1))).toBe('accepted');
    });

    it('takes every broker down until the fault is deleted', async () => {
      // Prepare
      const ports = mock.brokers.map((broker) => Number(broker.split(':')[1]));

      // Act
      const created = await call('POST', '/_local/faults/kafka-brokers-down', {});
      const down = await Promise.all(ports.map((port) => probePort(port)));
      const deleted = await call('DELETE', `/_local/faults/${created.body.id}`);

      // Assess
      expect(down).toEqual(['refused', 'refused']);
      expect(deleted.status).toBe(204);
      expect(await Promise.all(ports.map((port) => probePort(port)))).toEqual(['accepted', 'accepted']);
      expect((await call('DELETE', `/_local/faults/${created.body.id}`)).status).toBe(404);
    });

    it('kills the function mid-invocation with Runtime.ExitError, and the mapping retries once the fault is gone', async () => {
      // Prepare
      const before = await committed();
      const crash = await call('POST', '/_local/faults/lambda-crash', {
        functionName: 'consumer',
        probability: 1,
      });
      expect(crash.status).toBe(201);

      // Act
      const direct = await call('POST', '/2015-03-31/functions/consumer/invocations', {});
      await producer.send({ topic: 'control', messages: [{ value: 'crashing' }] });
      await waitFor(() => readFileSync(logFile, 'utf8').includes('ConsumerMapping: Runtime.ExitError'), {
        timeoutMs: 20_000,
        description: 'the mapping saw the crash',
      });
      const crashed = await committed();
      await call('DELETE', `/_local/faults/${crash.body.id}`);

      // Assess
      expect(direct.headers.get('x-amz-function-error')).toBe('Unhandled');
      expect(direct.body).toMatchObject({ errorType: 'Runtime.ExitError' });
      expect(crashed).toBe(before);
      await waitFor(async () => (await committed()) === before + 1, {
        timeoutMs: 30_000,
        description: 'the record committed after a successful retry',
      });
    });

    it('holds DynamoDB requests of the chosen operations for the added latency', async () => {
      // Prepare
      const request = async (operation: string) => {
        const started = Date.now();
        await fetch(meter.endpoint, {
          method: 'POST',
          headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
          body: '{}',
        });
        return Date.now() - started;
      };
      const fault = await call('POST', '/_local/faults/dynamodb-latency', {
        latencyMs: 400,
        operations: ['GetItem'],
      });

      // Act
      const slow = await request('GetItem');
      const other = await request('PutItem');
      await call('DELETE', `/_local/faults/${fault.body.id}`);
      const after = await request('GetItem');

      // Assess
      expect(slow).toBeGreaterThanOrEqual(390);
      expect(other).toBeLessThan(390);
      expect(after).toBeLessThan(390);
    });

    it('rejects an unknown fault type', async () => {
      // Act
      const { status, body } = await call('POST', '/_local/faults/disk-full', {});

      // Assess
      expect(status).toBe(400);
      expect(body.message).toContain('Unknown fault type');
    });
  });
});
