import { randomUUID } from 'node:crypto';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDbLocal, getFreePort, KafkaMock, localDynamoClientConfig } from '../engines';
import { LocalApiGateway } from './api-gateway';
import { LocalCognito } from './cognito';
import { ControlPlane } from './control-plane';
import { createKafkaTopics, runCustomResources } from './custom-resources';
import { DynamoMeter, type MeteredTable } from './dynamo-meter';
import { LocalRuntimeError } from './errors';
import {
  kafkaMappingsFromTemplate,
  type MappingsContext,
  streamMappingsFromTemplate,
} from './event-source-mappings';
import { LocalFaults } from './faults';
import { LocalFunctions } from './functions';
import { localIdentity } from './identity';
import { KafkaMapping } from './kafka-mapping';
import type { InvokeResult, LocalLambda } from './lambda';
import type { KafkaMappingRequest, LocalMapping } from './lambda-api';
import { LogSink } from './logs';
import type { OnFailureRecord } from './on-failure';
import { parseEmfLine } from './ops/emf';
import { MetricStore } from './ops/metrics';
import { OpsPage } from './ops/ops-page';
import { Resolver } from './resolve';
import { restApisFromTemplate } from './rest-api';
import { LocalS3, onFailureObjectKey } from './s3';
import {
  fireSchedule,
  manualSchedule,
  type Schedule,
  schedulesFromTemplate,
  startSchedules,
  stopSchedules,
} from './schedules';
import { LocalSecrets } from './secrets';
import { stateMachinesFromTemplate } from './state-machines';
import { LocalStepFunctions } from './step-functions';
import type { StreamMapping } from './stream-mapping';
import { createTables, type LocalTable } from './tables';
import { loadCloudAssembly, resourcesOfType, type StackTemplate } from './template';

export { LocalRuntimeError } from './errors';
export type { Schedule } from './schedules';

export interface LocalRuntimeOptions {
  cdkOut: string;
  /** Port of the main REST API (the one with the most methods); 0 picks a free one. Other APIs get free ports. */
  apiPort?: number;
  host?: string;
  logFile?: string;
  echoLogs?: boolean;
  /** Schedules run this many times faster (60: a one-minute rate fires every second). */
  timeScale?: number;
  /** Extra or replaced environment variables for every function (tuning knobs for tests and demos). */
  environment?: Record<string, string>;
  kafkaBrokers?: number;
  functionConcurrency?: number;
  streamPollIntervalMs?: number;
  /** Start every schedule (default true); tests may trigger them by hand instead. */
  runSchedules?: boolean;
  /** Port of the control plane (the AWS APIs and the fault endpoint, on 127.0.0.1); 0 picks a free one. */
  controlPlanePort?: number;
  /**
   * Execution environments each function starts before the runtime is ready (0, the default: each
   * starts on its first invocation, a cold start). `npm start` provisions one, as provisioned
   * concurrency would, so the first order is as fast as the next ones. A function several event
   * sources invoke (stream and MSK mappings, schedules) gets this many per source, as provisioned
   * concurrency sized to its concurrent invocations: a schedule that fires while a mapping's
   * invocation runs would otherwise start an on-demand environment (a cold start) on the hot path.
   */
  provisionedEnvironments?: number;
  /**
   * Port of the operations page (orders, consumer lag, dead letters, business metrics) on 127.0.0.1;
   * 0 picks a free one. Unset: no page, and the functions' metrics are not collected.
   */
  opsPort?: number;
}

/** Something that started and must be stopped, named for the log when stopping it fails. */
interface Started {
  name: string;
  stop: () => unknown;
}

/** Starts DynamoDB Local and the mock Kafka cluster side by side; if one fails, stops the other. */
async function startEngines(kafkaBrokers: number): Promise<{ dynamo: DynamoDbLocal; kafka: KafkaMock }> {
  const [dynamo, kafka] = await Promise.allSettled([
    DynamoDbLocal.start({}),
    KafkaMock.start({ brokers: kafkaBrokers }),
  ]);
  if (dynamo.status === 'fulfilled' && kafka.status === 'fulfilled') {
    return { dynamo: dynamo.value, kafka: kafka.value };
  }
  await Promise.allSettled([
    dynamo.status === 'fulfilled' ? dynamo.value.stop() : undefined,
    kafka.status === 'fulfilled' ? kafka.value.stop() : undefined,
  ]);
  const failed = dynamo.status === 'rejected' ? dynamo : (kafka as PromiseRejectedResult);
  throw new LocalRuntimeError('Could not start the local engines', { cause: failed.reason });
}

/**
 * Runs the synthesized app on this machine: DynamoDB Local for the tables, the librdkafka mock
 * cluster for MSK, the bundled functions from cdk.out in their own processes, and the AWS glue
 * between them (REST API, stream and MSK event source mappings, Step Functions, schedules, custom
 * resources). Each resource kind is read from the templates by its own module; this class starts
 * them in dependency order and stops them in reverse, also when the start fails half way.
 */
export class LocalRuntime {
  /** The functions by ARN. */
  readonly functions: Map<string, LocalLambda>;
  readonly mappings: StreamMapping[] = [];
  readonly kafkaMappings: KafkaMapping[] = [];
  stepFunctions: LocalStepFunctions | undefined;
  /** Counts the functions' DynamoDB requests and item writes; functions talk to DynamoDB through it. */
  meter: DynamoMeter | undefined;
  readonly schedules: Schedule[] = [];
  /** Messages sent to SQS queues (failure destinations), by queue name. */
  readonly queues = new Map<string, unknown[]>();
  /** The templates' S3 buckets, their notifications and the S3 API (`AWS_ENDPOINT_URL_S3`). */
  readonly s3: LocalS3;
  /** The tables by logical id. */
  /** Tables by `<stack name>/<logical id>`. */
  readonly tables = new Map<string, LocalTable>();
  /** The main REST API (the one with the most methods). */
  apiUrl = '';
  /** Every REST API of the templates: id, name (`Name` of the RestApi) and local URL. */
  readonly apis: { id: string; name: string; url: string }[] = [];
  /** The user pools of the templates, with their demo users; their API is on the control plane. */
  cognito: LocalCognito | undefined;
  /** The secrets of the templates; their API is on the control plane. */
  secrets: LocalSecrets | undefined;
  /** The Lambda, Kafka, Step Functions, Cognito and Secrets Manager APIs and the local fault endpoint (`--endpoint-url`). */
  controlPlaneUrl = '';
  /** Faults AWS has no API for (brokers down, function crashes, DynamoDB latency); also at `/_local/faults`. */
  faults: LocalFaults | undefined;
  /** The metrics the functions emitted (their EMF log lines), collected when the operations page runs. */
  readonly metrics: MetricStore | undefined;
  /** The operations page (`opsPort`), or '' when it does not run. */
  opsUrl = '';
  private readonly lambdas: LocalFunctions;
  /** What has started, in start order. */
  private readonly started: Started[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: LocalRuntimeOptions,
    readonly stacks: StackTemplate[],
    readonly resolver: Resolver,
    readonly dynamo: DynamoDbLocal,
    readonly kafka: KafkaMock,
    readonly logs: LogSink,
  ) {
    this.lambdas = new LocalFunctions(logs, options.functionConcurrency ?? 4);
    this.functions = this.lambdas.byArn;
    this.s3 = new LocalS3(logs);
    if (options.opsPort !== undefined) {
      const metrics = new MetricStore();
      logs.onLine((_source, line) => metrics.add(parseEmfLine(line)));
      this.metrics = metrics;
    }
    this.started.push(
      { name: 'function logs', stop: () => logs.close() },
      {
        name: 'engines',
        stop: async () => {
          const results = await Promise.allSettled([dynamo.stop(), kafka.stop()]);
          const failed = results.find((result) => result.status === 'rejected');
          if (failed) throw failed.reason;
        },
      },
    );
  }

  get dynamoEndpoint(): string {
    return this.dynamo.endpoint;
  }

  get kafkaBootstrap(): string {
    return this.kafka.bootstrapServers;
  }

  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const stacks = loadCloudAssembly(options.cdkOut);
    const resolver = new Resolver(stacks, localIdentity);
    const logs = new LogSink(options.logFile, options.echoLogs ?? false);
    let engines: Awaited<ReturnType<typeof startEngines>>;
    try {
      engines = await startEngines(options.kafkaBrokers ?? 3);
    } catch (error) {
      await logs.close();
      throw error;
    }
    const runtime = new LocalRuntime(options, stacks, resolver, engines.dynamo, engines.kafka, logs);
    try {
      await runtime.boot();
      return runtime;
    } catch (error) {
      // The caller needs the start failure; a failure while stopping what had started is in the log.
      await runtime.stop().catch(() => undefined);
      throw error;
    }
  }

  private onStop(name: string, stop: () => unknown): void {
    this.started.push({ name, stop });
  }

  /** Starts every resource kind in dependency order. */
  private async boot(): Promise<void> {
    const { stacks, resolver, options, logs } = this;
    for (const [logicalId, table] of await createTables(stacks, resolver, this.dynamo.endpoint)) {
      this.tables.set(logicalId, table);
    }
    await createKafkaTopics(stacks, resolver, this.kafka);

    const meteredTables = new Map(
      [...this.tables].map(([id, table]) => [
        table.name,
        { logicalId: readableTableId(id), kind: tableKind(id) },
      ]),
    );
    const meter = new DynamoMeter(this.dynamo.endpoint, (name) => meteredTables.get(name));
    this.meter = meter;
    this.onStop('DynamoDB meter', () => meter.stop());
    await meter.start();

    const faults = new LocalFaults(
      {
        kafka: this.kafka,
        findFunction: (reference) => this.lambdas.find(reference),
        dynamo: meter,
      },
      logs,
    );
    this.faults = faults;
    this.onStop('faults', () => faults.stop());
    const cognito = new LocalCognito(stacks, resolver, () => this.controlPlaneUrl);
    this.cognito = cognito;
    const secrets = new LocalSecrets(stacks, resolver);
    this.secrets = secrets;
    const controlPlane = new ControlPlane(
      {
        functions: () => this.lambdas.byArn.values(),
        mappings: () => [...this.mappings, ...this.kafkaMappings],
        kafka: { bootstrapServers: this.kafka.bootstrapServers, clusterArns: () => this.kafkaClusterArns() },
        stepFunctions: () => this.stepFunctions,
        faults,
        createKafkaMapping: (request, fn) => this.createKafkaMapping(request, fn),
        deleteMapping: (mapping) => this.deleteMapping(mapping),
        cognito,
        secrets,
      },
      logs,
    );
    this.onStop('control plane', () => controlPlane.stop());
    this.controlPlaneUrl = await controlPlane.listen(options.controlPlanePort ?? 0);
    this.onStop('S3', () => this.s3.stop());
    const s3Endpoint = await this.s3.listen(0);

    // The functions get the APIs' URLs in their environment before the APIs listen.
    const apiPorts = await this.assignApiPorts(options.apiPort ?? 3000);

    // State machines invoke functions and functions start executions: the functions are registered
    // (and so stopped after the state machines) before either runs.
    this.onStop('functions', () => this.lambdas.stop());
    const stepFunctions = new LocalStepFunctions(
      stateMachinesFromTemplate(stacks, resolver),
      (arn) => this.lambdas.get(arn),
      logs,
      options.timeScale ?? 1,
    );
    this.stepFunctions = stepFunctions;
    this.onStop('Step Functions', () => stepFunctions.stop());
    await stepFunctions.listen(0);

    this.lambdas.define({
      cdkOut: options.cdkOut,
      stacks,
      resolver,
      endpoints: {
        dynamoDb: meter.endpoint,
        kafkaBootstrap: this.kafka.bootstrapServers,
        stepFunctions: stepFunctions.endpoint,
        api: this.apiUrl,
        apis: Object.fromEntries(this.apis.map((api) => [api.id, api.url])),
        controlPlane: this.controlPlaneUrl,
        s3: s3Endpoint,
      },
      environment: options.environment ?? {},
    });
    this.s3.load(stacks, resolver, this.lambdas);
    await runCustomResources(stacks, resolver, this.lambdas);

    const runSchedules = options.runSchedules ?? true;
    const schedules = runSchedules
      ? schedulesFromTemplate(stacks, resolver, this.lambdas, options.timeScale ?? 1)
      : [];
    this.startStreamMappings();
    const kafkaMappings = this.createKafkaMappings();
    const provisioned = options.provisionedEnvironments ?? 0;
    // Started side by side with the consumer groups' joins, which take seconds of their own.
    const environments =
      provisioned > 0
        ? this.provision(provisioned, [
            ...this.mappings.map((mapping) => mapping.definition.fn),
            ...kafkaMappings.map((mapping) => mapping.definition.fn),
            ...schedules.map((schedule) => schedule.fn),
          ])
        : undefined;
    await Promise.all([this.startKafkaMappings(kafkaMappings), environments]);
    await this.startApis(apiPorts);
    if (options.opsPort !== undefined) await this.startOpsPage(options.opsPort);
    if (runSchedules) this.startSchedules(schedules);
  }

  /**
   * Initializes `perSource` execution environments of every function for each event source that
   * invokes it (`triggers`), as provisioned concurrency does. A function that cannot initialize
   * (e.g. a CloudFormation provider the runtime never invokes) is left to fail its own invocations,
   * as on AWS.
   */
  private async provision(
    perSource: number,
    triggers: Parameters<typeof environmentsToProvision>[1],
  ): Promise<void> {
    const counts = environmentsToProvision(this.lambdas.byArn.keys(), triggers, perSource);
    await Promise.all(
      [...this.lambdas.byArn.values()].map((fn) =>
        fn.provision(counts.get(fn.definition.arn) ?? perSource).catch((error: unknown) => {
          this.logs.write('runtime', `${fn.definition.name}: not provisioned: ${String(error)}`);
        }),
      ),
    );
  }

  /** The operations page, reading the orders table, the MSK mappings' consumer groups and the metrics. */
  private async startOpsPage(port: number): Promise<void> {
    const metrics = this.metrics;
    const orders = [...this.tables].find(([id]) => (id.split('/').pop() ?? '').startsWith('OrdersTable'));
    if (!metrics || !orders) throw new LocalRuntimeError('The operations page needs the orders table');
    const pool = this.cognito?.pools[0];
    const clientId = pool ? [...pool.clients.keys()][0] : undefined;
    const page = new OpsPage({
      metrics,
      dynamoEndpoint: this.dynamo.endpoint,
      ordersTable: orders[1].name,
      kafkaBootstrap: this.kafka.bootstrapServers,
      consumerGroups: () =>
        this.kafkaMappings.map((mapping) => ({
          groupId: mapping.definition.consumerGroupId,
          topics: mapping.definition.topics,
          functionName: mapping.definition.fn.definition.name,
        })),
      apiUrl: () => this.apiUrl,
      ...(pool && clientId
        ? {
            signIn: (email: string, password: string) => {
              const result = pool.initiateAuth({
                ClientId: clientId,
                AuthFlow: 'USER_PASSWORD_AUTH',
                AuthParameters: { USERNAME: email, PASSWORD: password },
              });
              return result.IdToken;
            },
          }
        : {}),
    });
    this.onStop('operations page', () => page.stop());
    this.opsUrl = await page.listen(port);
  }

  private mappingsContext(): MappingsContext {
    return {
      stacks: this.stacks,
      resolver: this.resolver,
      functions: this.lambdas,
      logs: this.logs,
      enqueue: (queueName, record) => this.enqueue(queueName, record),
      writeObject: (bucket, uuid, record, payload) =>
        this.writeOnFailureObject(bucket, uuid, record, payload),
      timeScale: this.options.timeScale ?? 1,
    };
  }

  private startStreamMappings(): void {
    const streams = new DynamoDBStreamsClient(localDynamoClientConfig(this.dynamo.endpoint));
    this.onStop('DynamoDB Streams client', () => streams.destroy());
    this.mappings.push(
      ...streamMappingsFromTemplate(this.mappingsContext(), this.tables, streams, {
        pollIntervalMs: this.options.streamPollIntervalMs ?? 100,
        retryBaseDelayMs: 200,
      }),
    );
    this.onStop('stream mappings', () => Promise.all(this.mappings.map((mapping) => mapping.stop())));
    for (const mapping of this.mappings) mapping.start();
  }

  /** The Amazon MSK event source mappings of the templates, not started yet. */
  private createKafkaMappings(): KafkaMapping[] {
    return kafkaMappingsFromTemplate(
      this.mappingsContext(),
      this.kafka.bootstrapServers,
      KAFKA_MAPPING_OPTIONS,
    );
  }

  /** Amazon MSK event source mappings, served by consumer groups on the local Kafka cluster. */
  private async startKafkaMappings(mappings: readonly KafkaMapping[]): Promise<void> {
    this.kafkaMappings.push(...mappings);
    this.onStop('MSK mappings', () => Promise.all(this.kafkaMappings.map((mapping) => mapping.stop())));
    // Consumer groups join in parallel: each join takes a few seconds against the mock cluster.
    const results = await Promise.allSettled(this.kafkaMappings.map((mapping) => mapping.start()));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed)
      throw new LocalRuntimeError('Could not start the MSK event source mappings', { cause: failed.reason });
  }

  /** An MSK event source mapping created through the Lambda API, with the template mappings' options. */
  private createKafkaMapping(
    request: KafkaMappingRequest,
    fn: LocalLambda,
  ): { mapping: KafkaMapping; started: Promise<void> } {
    const uuid = randomUUID();
    const timeScale = this.options.timeScale ?? 1;
    const queue = request.destinationArn?.startsWith('arn:aws:sqs:')
      ? request.destinationArn.split(':').pop()
      : undefined;
    const mapping = new KafkaMapping(
      {
        logicalId: uuid,
        uuid,
        enabled: false,
        fn,
        clusterArn: request.clusterArn,
        topics: [request.topic],
        consumerGroupId: request.consumerGroupId ?? uuid,
        batchSize: request.batchSize,
        maxBatchingWindowMs: (request.maxBatchingWindowSeconds * 1000) / timeScale,
        startingPosition: request.startingPosition,
        maxRetryAttempts: request.maxRetryAttempts,
        bisectOnError: request.bisectOnError,
        maxRecordAgeSeconds: request.maxRecordAgeSeconds,
        reportBatchItemFailures: request.reportBatchItemFailures,
        filters: request.filters,
        timeScale,
        ...(request.destinationArn ? { destinationArn: request.destinationArn } : {}),
        ...(queue ? { onFailure: (record: unknown) => this.enqueue(queue, record) } : {}),
      },
      this.kafka.bootstrapServers,
      this.logs,
      KAFKA_MAPPING_OPTIONS,
    );
    this.kafkaMappings.push(mapping);
    return { mapping, started: request.enabled ? mapping.setEnabled(true) : Promise.resolve() };
  }

  /** Stops a mapping (its in-flight invocation ends first) and removes it from the runtime. */
  private async deleteMapping(mapping: LocalMapping): Promise<void> {
    await mapping.setEnabled(false);
    await mapping.stop();
    for (const list of [this.kafkaMappings, this.mappings] as LocalMapping[][]) {
      const index = list.indexOf(mapping);
      if (index >= 0) list.splice(index, 1);
    }
  }

  /**
   * Ports of the REST APIs: the main API (the one with the most methods) on `requestedPort`, every
   * other API on a free port. Fills `apis` and `apiUrl` before any API listens (and before the
   * functions, whose environment holds the URLs, are defined).
   */
  private async assignApiPorts(requestedPort: number): Promise<Map<string, number>> {
    const host = this.options.host && this.options.host !== '0.0.0.0' ? this.options.host : '127.0.0.1';
    const apis = resourcesOfType(this.stacks, 'AWS::ApiGateway::RestApi').map(
      ({ stack, logicalId, resource }) => ({
        id: this.resolver.resolveString(stack, { Ref: logicalId }),
        name: String(resource.Properties?.Name ?? logicalId),
        methods: Object.values(stack.resources).filter(
          (candidate) =>
            candidate.Type === 'AWS::ApiGateway::Method' &&
            (candidate.Properties?.RestApiId as { Ref?: string } | undefined)?.Ref === logicalId,
        ).length,
      }),
    );
    const main = [...apis].sort((a, b) => b.methods - a.methods)[0];
    const ports = new Map<string, number>();
    for (const api of apis) {
      const port = api === main && requestedPort !== 0 ? requestedPort : await getFreePort();
      ports.set(api.id, port);
      this.apis.push({ id: api.id, name: api.name, url: `http://${host}:${port}` });
      if (api === main) this.apiUrl = `http://${host}:${port}`;
    }
    return ports;
  }

  private async startApis(ports: Map<string, number>): Promise<void> {
    for (const definition of restApisFromTemplate(this.stacks, this.resolver, this.lambdas)) {
      const api = new LocalApiGateway(definition, this.logs, { cognito: this.cognito });
      this.onStop(`REST API ${definition.name}`, () => api.stop());
      const url = await api.start(ports.get(definition.id) ?? 0, this.options.host);
      const entry = this.apis.find((candidate) => candidate.id === definition.id);
      if (entry) entry.url = url;
      if (ports.get(definition.id) === Number(new URL(this.apiUrl || 'http://x:1').port)) this.apiUrl = url;
    }
  }

  /** The local URL of the REST API whose name contains `fragment` (exactly one must match). */
  apiUrlOf(fragment: string): string {
    const matches = this.apis.filter((api) => api.name.toLowerCase().includes(fragment.toLowerCase()));
    if (matches.length !== 1 || !matches[0]) {
      throw new LocalRuntimeError(
        `${matches.length} REST APIs match "${fragment}": ${this.apis.map((api) => api.name).join(', ')}`,
      );
    }
    return matches[0].url;
  }

  private startSchedules(schedules: readonly Schedule[]): void {
    this.schedules.push(...schedules);
    this.onStop('schedules', () => stopSchedules(this.schedules));
    startSchedules(this.schedules, this.logs);
  }

  /** The ARNs of the templates' MSK clusters (all served by the one local cluster). */
  private kafkaClusterArns(): string[] {
    const arns = new Set(this.kafkaMappings.map((mapping) => mapping.definition.clusterArn));
    for (const type of ['AWS::MSK::Cluster', 'AWS::MSK::ServerlessCluster']) {
      for (const { stack, logicalId } of resourcesOfType(this.stacks, type)) {
        const arn = this.resolver.resolve(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] });
        if (typeof arn === 'string') arns.add(arn);
      }
    }
    return [...arns];
  }

  /** The local function whose logical id or name contains `fragment` (exactly one must match). */
  fn(fragment: string): LocalLambda {
    return this.lambdas.matching(fragment);
  }

  /** Keeps a message sent to the SQS queue `queueName` (the runtime has no SQS; tests read `queues`). */
  enqueue(queueName: string, message: unknown): void {
    const list = this.queues.get(queueName) ?? [];
    list.push(message);
    this.queues.set(queueName, list);
  }

  /**
   * Writes an on-failure record to the S3 bucket of a mapping's destination, as Lambda does: the
   * record with the invocation `payload` (as JSON text), one object per batch, keyed by the mapping's
   * UUID and the batch's first partition.
   */
  private writeOnFailureObject(
    bucket: string,
    uuid: string,
    record: OnFailureRecord,
    payload: unknown,
  ): void {
    const partitions =
      'KafkaBatchInfo' in record
        ? Object.keys(record.KafkaBatchInfo.recordsInfo)
        : [record.DDBStreamBatchInfo.shardId];
    const key = onFailureObjectKey(uuid, partitions[0] ?? 'batch', new Date());
    try {
      this.s3.putObject(bucket, key, JSON.stringify({ ...record, payload: JSON.stringify(payload) }));
    } catch (error) {
      this.logs.write('s3', `on-failure record for ${bucket} lost: ${String(error)}`);
    }
  }

  /** Fires the schedule(s) targeting the function matching `fragment` now, and waits for the result. */
  async triggerSchedule(fragment: string): Promise<InvokeResult> {
    const fn = this.fn(fragment);
    return fireSchedule(this.schedules.find((s) => s.fn === fn) ?? manualSchedule(fn), this.logs);
  }

  /**
   * Stops everything that started, in reverse start order, each part also when an earlier one failed
   * to stop; then throws if any did.
   */
  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      const failures: LocalRuntimeError[] = [];
      for (const { name, stop } of this.started.splice(0).reverse()) {
        try {
          await stop();
        } catch (error) {
          failures.push(new LocalRuntimeError(`Stopping ${name} failed`, { cause: error }));
          if (name !== 'function logs')
            this.logs.write('runtime', `stopping ${name} failed: ${String(error)}`);
        }
      }
      if (failures.length > 0) {
        throw new LocalRuntimeError(`The local runtime did not stop cleanly (${failures.length} part(s))`, {
          cause: failures.length === 1 ? failures[0] : new AggregateError(failures),
        });
      }
    })();
    return this.stopping;
  }
}

/** How the MSK mappings deliver, those of the templates and those created through the Lambda API alike. */
const KAFKA_MAPPING_OPTIONS = { retryBaseDelayMs: 200, partitionsConcurrently: 3 } as const;

/**
 * Execution environments to provision per function ARN: `perSource` for each event source that
 * invokes it (`triggers`, one entry per mapping or schedule), `perSource` for a function no source
 * invokes (API and Step Functions targets, invoked one request at a time here).
 */
export function environmentsToProvision(
  functionArns: Iterable<string>,
  triggers: readonly { readonly definition: { readonly arn: string } }[],
  perSource: number,
): Map<string, number> {
  const sources = new Map<string, number>();
  for (const target of triggers)
    sources.set(target.definition.arn, (sources.get(target.definition.arn) ?? 0) + 1);
  return new Map(
    [...functionArns].map((arn) => [arn, perSource * Math.max(1, sources.get(arn) ?? 0)] as const),
  );
}

/** `OrderSaga-dev-Orders/OrdersTable315BB997` → `Orders/OrdersTable`. */
function readableTableId(id: string): string {
  const [stackName = '', logicalId = ''] = id.split('/');
  return `${stackName.split('-').slice(2).join('-') || stackName}/${logicalId.replace(/[0-9A-F]{8}$/, '')}`;
}

/** What a table is for, from its name in the template (what the DynamoDB meter bills it as). */
function tableKind(logicalId: string): MeteredTable['kind'] {
  if (/Idempotency/i.test(logicalId)) return 'idempotency';
  if (/DeadLetter/i.test(logicalId)) return 'dead-letters';
  if (/Analytics/i.test(logicalId)) return 'analytics';
  if (/MockPsp/i.test(logicalId)) return 'external';
  return 'service';
}
