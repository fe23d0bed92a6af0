import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDbLocal, getFreePort, KafkaMock, localDynamoClientConfig } from '../engines';
import { type GatewayResponseDefinition, LocalApiGateway, type RouteDefinition } from './api-gateway';
import { DynamoMeter } from './dynamo-meter';
import { localIdentity } from './identity';
import { KafkaMapping } from './kafka-mapping';
import { type FunctionDefinition, LocalLambda } from './lambda';
import { localEnvironment } from './local-env';
import { LogSink } from './logs';
import { Resolver } from './resolve';
import { LocalStepFunctions, type StateMachineDefinition } from './step-functions';
import { StreamMapping } from './stream-mapping';
import {
  type CfnResource,
  type LocatedResource,
  loadCloudAssembly,
  resourcesOfType,
  type StackTemplate,
  TemplateError,
} from './template';

export interface LocalRuntimeOptions {
  cdkOut: string;
  /** Port of the REST API; 0 picks a free one. */
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
}

export class LocalRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalRuntimeError';
  }
}

interface Schedule {
  logicalId: string;
  periodMs: number;
  fn: LocalLambda;
  ruleArn: string;
  timer?: NodeJS.Timeout;
}

function ratePeriodMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]?.startsWith('minute')
    ? 60_000
    : match[2]?.startsWith('hour')
      ? 3_600_000
      : 86_400_000;
  return Number(match[1]) * unit;
}

/** Stringifies scalars the way CloudFormation passes custom resource properties. */
function cfnProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cfnProperties);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cfnProperties(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/**
 * Runs the synthesized app on this machine: DynamoDB Local for the tables, the librdkafka mock
 * cluster for MSK, the bundled functions from cdk.out in their own processes, and the AWS glue
 * between them (REST API, stream event source mappings, schedules, custom resources).
 */
export class LocalRuntime {
  readonly functions = new Map<string, LocalLambda>();
  readonly mappings: StreamMapping[] = [];
  readonly kafkaMappings: KafkaMapping[] = [];
  stepFunctions: LocalStepFunctions | undefined;
  /** Counts the functions' DynamoDB requests and item writes; functions talk to DynamoDB through it. */
  meter: DynamoMeter | undefined;
  private apiPort = 0;
  readonly schedules: Schedule[] = [];
  /** Messages sent to SQS queues (failure destinations), by queue name. */
  readonly queues = new Map<string, unknown[]>();
  readonly tables = new Map<string, { name: string; streamArn?: string }>();
  apiUrl = '';
  private api: LocalApiGateway | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: LocalRuntimeOptions,
    readonly stacks: StackTemplate[],
    readonly resolver: Resolver,
    readonly dynamo: DynamoDbLocal,
    readonly kafka: KafkaMock,
    readonly logs: LogSink,
  ) {}

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
    const [dynamo, kafka] = await Promise.all([
      DynamoDbLocal.start({}),
      KafkaMock.start({ brokers: options.kafkaBrokers ?? 3 }),
    ]).catch(async (error: unknown) => {
      throw new LocalRuntimeError('Could not start the local engines', { cause: error });
    });
    const runtime = new LocalRuntime(options, stacks, resolver, dynamo, kafka, logs);
    try {
      await runtime.boot();
      return runtime;
    } catch (error) {
      await runtime.stop();
      throw error;
    }
  }

  private async boot(): Promise<void> {
    await this.createTables();
    await this.createTopics();
    this.meter = new DynamoMeter(this.dynamo.endpoint);
    await this.meter.start();
    const port = this.options.apiPort ?? 3000;
    this.apiPort = port === 0 ? await getFreePort() : port;
    this.apiUrl = `http://${this.options.host && this.options.host !== '0.0.0.0' ? this.options.host : '127.0.0.1'}:${this.apiPort}`;
    this.stepFunctions = new LocalStepFunctions(
      this.stateMachines(),
      (arn) => this.functionByArn(arn),
      this.logs,
      this.options.timeScale ?? 1,
    );
    await this.stepFunctions.listen(0);
    this.defineFunctions();
    await this.runCustomResources();
    this.startStreamMappings();
    await this.startKafkaMappings();
    await this.startApi();
    if (this.options.runSchedules ?? true) this.startSchedules();
  }

  private dynamoClient(): DynamoDBClient {
    return new DynamoDBClient(localDynamoClientConfig(this.dynamo.endpoint));
  }

  private async createTables(): Promise<void> {
    const client = this.dynamoClient();
    for (const { stack, logicalId, resource } of resourcesOfType(this.stacks, 'AWS::DynamoDB::Table')) {
      const props = this.resolver.resolve(stack, resource.Properties ?? {}) as Record<string, unknown>;
      const name = localIdentity(stack, logicalId).ref;
      const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
      const input = {
        TableName: name,
        KeySchema: props.KeySchema,
        AttributeDefinitions: props.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Record<string, unknown>[] | undefined)?.map(
          (gsi) => ({
            IndexName: gsi.IndexName,
            KeySchema: gsi.KeySchema,
            Projection: gsi.Projection,
          }),
        ),
        LocalSecondaryIndexes: props.LocalSecondaryIndexes,
        StreamSpecification: stream?.StreamViewType
          ? { StreamEnabled: true, StreamViewType: stream.StreamViewType }
          : undefined,
      } as CreateTableCommandInput;
      const { TableDescription } = await client.send(new CreateTableCommand(input));
      this.tables.set(logicalId, { name, streamArn: TableDescription?.LatestStreamArn });
    }
    client.destroy();
  }

  private async createTopics(): Promise<void> {
    const resources = this.stacks.flatMap((stack) =>
      Object.entries(stack.resources)
        .filter(([, r]) => r.Type === 'Custom::KafkaTopics')
        .map(([, r]) => ({ stack, resource: r })),
    );
    for (const { stack, resource } of resources) {
      const topics = this.resolver.resolve(stack, resource.Properties?.Topics ?? []) as {
        name: string;
        partitions: number | string;
      }[];
      for (const topic of topics) await this.kafka.createTopic(topic.name, Number(topic.partitions));
    }
  }

  private functionDefinition({
    stack,
    logicalId,
    resource,
  }: LocatedResource): FunctionDefinition | undefined {
    const props = resource.Properties ?? {};
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler';
    if (typeof assetPath !== 'string') return undefined;
    const dir = join(this.options.cdkOut, assetPath);
    const [fileBase, handlerExport = 'handler'] = handler.split('.');
    const file = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, `${fileBase}${ext}`)).find(existsSync);
    if (!file) return undefined;
    const identity = localIdentity(stack, logicalId);
    const memoryMb = Number(props.MemorySize ?? 128);
    const timeoutMs = Number(props.Timeout ?? 3) * 1000;
    const templateEnv = this.resolver.resolve(
      stack,
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
    ) as Record<string, unknown>;
    const stringEnv = Object.fromEntries(
      Object.entries(templateEnv).map(([k, v]) => [k, v === undefined ? '' : String(v)]),
    );
    return {
      logicalId,
      name: identity.ref,
      arn: identity.attributes.Arn as string,
      handlerFile: file,
      handlerExport,
      memoryMb,
      timeoutMs,
      environment: localEnvironment(
        stringEnv,
        { name: identity.ref, memoryMb, timeoutMs },
        {
          dynamoDb: this.meter?.endpoint ?? this.dynamo.endpoint,
          kafkaBootstrap: this.kafka.bootstrapServers,
          stepFunctions: this.stepFunctions?.endpoint ?? '',
          api: this.apiUrl,
        },
        this.options.environment ?? {},
      ),
    };
  }

  private defineFunctions(): void {
    for (const located of resourcesOfType(this.stacks, 'AWS::Lambda::Function')) {
      const definition = this.functionDefinition(located);
      if (definition)
        this.functions.set(
          definition.arn,
          new LocalLambda(definition, this.logs, this.options.functionConcurrency ?? 4),
        );
    }
  }

  /** The local function whose logical id or name contains `fragment` (exactly one must match). */
  fn(fragment: string): LocalLambda {
    const matches = [...this.functions.values()].filter(
      (fn) => fn.definition.logicalId.includes(fragment) || fn.definition.name.includes(fragment),
    );
    if (matches.length !== 1) {
      throw new LocalRuntimeError(
        `Expected one function matching "${fragment}", found ${matches.map((m) => m.definition.logicalId).join(', ') || 'none'}`,
      );
    }
    return matches[0] as LocalLambda;
  }

  private functionByArn(value: unknown): LocalLambda | undefined {
    return typeof value === 'string' ? this.functions.get(value.replace(/:\$LATEST$/, '')) : undefined;
  }

  /**
   * Runs custom resources backed by the CDK Provider framework by invoking their onEvent function
   * directly with a Create request. Kafka topics are created in the mock cluster instead (its admin
   * API does not support CreateTopics). Resources of CDK's own providers that call AWS control-plane
   * APIs (default security group restrictions and the like) have no local meaning and are skipped.
   */
  private async runCustomResources(): Promise<void> {
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of Object.entries(stack.resources)) {
        if (
          !(resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource')
        )
          continue;
        if (resource.Type === 'Custom::KafkaTopics') continue;
        const provider = this.functionByArn(this.resolver.resolve(stack, resource.Properties?.ServiceToken));
        const onEvent = this.functionByArn(provider?.definition.environment.USER_ON_EVENT_FUNCTION_ARN);
        if (!onEvent) continue;
        const { ServiceToken: _token, ...properties } = (resource.Properties ?? {}) as Record<
          string,
          unknown
        >;
        const result = await onEvent.invoke({
          RequestType: 'Create',
          ServiceToken: provider?.definition.arn,
          ResponseURL: 'http://localhost/cloudformation-response',
          StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${stack.stackName}/local`,
          RequestId: randomUUID(),
          LogicalResourceId: logicalId,
          ResourceType: resource.Type,
          ResourceProperties: {
            ServiceToken: provider?.definition.arn,
            ...(cfnProperties(this.resolver.resolve(stack, properties)) as object),
          },
        });
        if (!result.ok) {
          throw new LocalRuntimeError(
            `Custom resource ${logicalId} failed: ${result.error.errorType}: ${result.error.errorMessage}`,
          );
        }
      }
    }
  }

  private queueName(stack: StackTemplate, destination: unknown): string | undefined {
    const arn = this.resolver.resolve(stack, destination);
    return typeof arn === 'string' && arn.startsWith('arn:aws:sqs:') ? arn.split(':').pop() : undefined;
  }

  private startStreamMappings(): void {
    const streams = new DynamoDBStreamsClient(localDynamoClientConfig(this.dynamo.endpoint));
    for (const { stack, logicalId, resource } of resourcesOfType(
      this.stacks,
      'AWS::Lambda::EventSourceMapping',
    )) {
      const props = resource.Properties ?? {};
      const sourceArn = this.resolver.resolve(stack, props.EventSourceArn);
      const tableName =
        typeof sourceArn === 'string' ? /:table\/([^/]+)\/stream\//.exec(sourceArn)?.[1] : undefined;
      if (!tableName) continue;
      const table = [...this.tables.values()].find((t) => t.name === tableName);
      const fn =
        this.functionByArn(this.resolver.resolve(stack, props.FunctionName)) ??
        [...this.functions.values()].find(
          (f) => f.definition.name === this.resolver.resolve(stack, props.FunctionName),
        );
      if (!table?.streamArn || !fn)
        throw new TemplateError(`Event source mapping ${logicalId} refers to an unknown table or function`);
      const filters = (
        (props.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []
      ).map((filter) => JSON.parse(filter.Pattern) as Record<string, unknown>);
      const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
        ?.OnFailure?.Destination;
      const queue = onFailure === undefined ? undefined : this.queueName(stack, onFailure);
      const mapping = new StreamMapping(
        {
          logicalId,
          fn,
          tableName,
          streamArn: table.streamArn,
          batchSize: Number(props.BatchSize ?? 100),
          maxBatchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000,
          startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          bisectOnError: props.BisectBatchOnFunctionError === true,
          maxRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
          maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
          reportBatchItemFailures: ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes(
            'ReportBatchItemFailures',
          ),
          filters,
          onFailure: queue ? (message) => this.enqueue(queue, message) : undefined,
        },
        streams,
        this.logs,
        { pollIntervalMs: this.options.streamPollIntervalMs ?? 100, retryBaseDelayMs: 200 },
      );
      mapping.start();
      this.mappings.push(mapping);
    }
  }

  enqueue(queueName: string, message: unknown): void {
    const list = this.queues.get(queueName) ?? [];
    list.push(message);
    this.queues.set(queueName, list);
  }

  private async startApi(): Promise<void> {
    const apis = resourcesOfType(this.stacks, 'AWS::ApiGateway::RestApi');
    const [first] = apis;
    if (!first) return;
    const { stack, logicalId: apiId } = first;
    const resources = stack.resources;
    const refOf = (value: unknown): string | undefined => {
      const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] } | undefined;
      if (v?.Ref) return v.Ref;
      if (v?.['Fn::GetAtt']?.[1] === 'RootResourceId') return `${v['Fn::GetAtt'][0]}-root`;
      return undefined;
    };
    const pathOf = (resourceId: string | undefined): string => {
      if (!resourceId || resourceId === `${apiId}-root`) return '';
      const resource = resources[resourceId];
      if (!resource) throw new TemplateError(`Unknown API resource ${resourceId}`);
      return `${pathOf(refOf(resource.Properties?.ParentId))}/${String(resource.Properties?.PathPart)}`;
    };
    const findFunction = (value: unknown): LocalLambda | undefined => {
      if (Array.isArray(value)) return value.map(findFunction).find(Boolean);
      if (value === null || typeof value !== 'object') return undefined;
      const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
      if (Array.isArray(getAtt) && resources[String(getAtt[0])]?.Type === 'AWS::Lambda::Function') {
        return this.functionByArn(this.resolver.resolve(stack, { 'Fn::GetAtt': [getAtt[0], 'Arn'] }));
      }
      return Object.values(value).map(findFunction).find(Boolean);
    };
    const routes: RouteDefinition[] = [];
    for (const [, method] of Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::ApiGateway::Method',
    )) {
      const props = method.Properties ?? {};
      const integration = props.Integration as { Type?: string; Uri?: unknown } | undefined;
      if (integration?.Type !== 'AWS_PROXY') continue;
      const fn = findFunction(integration.Uri);
      if (!fn) continue;
      const parameters = (props.RequestParameters ?? {}) as Record<string, boolean>;
      const required = (prefix: string) =>
        Object.entries(parameters)
          .filter(([key, req]) => req === true && key.startsWith(prefix))
          .map(([key]) => key.slice(prefix.length));
      const validator = resources[refOf(props.RequestValidatorId) ?? ''] as CfnResource | undefined;
      routes.push({
        httpMethod: String(props.HttpMethod),
        resourcePath: pathOf(refOf(props.ResourceId)) || '/',
        fn,
        requiredHeaders: required('method.request.header.'),
        requiredQuery: required('method.request.querystring.'),
        validateParameters: validator?.Properties?.ValidateRequestParameters === true,
      });
    }
    const gatewayResponses: Record<string, GatewayResponseDefinition> = {};
    for (const response of Object.values(resources).filter(
      (r) => r.Type === 'AWS::ApiGateway::GatewayResponse',
    )) {
      const props = response.Properties ?? {};
      const headers = Object.fromEntries(
        Object.entries((props.ResponseParameters ?? {}) as Record<string, string>).map(([key, value]) => [
          key.replace('gatewayresponse.header.', ''),
          value.replace(/^'|'$/g, ''),
        ]),
      );
      gatewayResponses[String(props.ResponseType)] = {
        statusCode: props.StatusCode === undefined ? undefined : String(props.StatusCode),
        template: (props.ResponseTemplates as Record<string, string> | undefined)?.['application/json'],
        headers,
      };
    }
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Stage');
    this.api = new LocalApiGateway(
      { name: apiId, stageName: String(stage?.Properties?.StageName ?? 'prod'), routes, gatewayResponses },
      this.logs,
    );
    this.apiUrl = await this.api.start(this.apiPort, this.options.host);
  }

  private stateMachines(): Map<string, StateMachineDefinition> {
    const machines = new Map<string, StateMachineDefinition>();
    for (const { stack, logicalId, resource } of resourcesOfType(
      this.stacks,
      'AWS::StepFunctions::StateMachine',
    )) {
      const identity = localIdentity(stack, logicalId);
      const props = resource.Properties ?? {};
      const raw =
        props.DefinitionString !== undefined
          ? this.resolver.resolveString(stack, props.DefinitionString)
          : undefined;
      const definition = (
        raw === undefined ? this.resolver.resolve(stack, props.Definition) : JSON.parse(raw)
      ) as StateMachineDefinition['definition'];
      const arn = identity.attributes.Arn as string;
      machines.set(arn, { logicalId, arn, name: identity.attributes.Name as string, definition });
    }
    return machines;
  }

  /** Amazon MSK event source mappings, served by consumer groups on the local Kafka cluster. */
  private async startKafkaMappings(): Promise<void> {
    for (const { stack, logicalId, resource } of resourcesOfType(
      this.stacks,
      'AWS::Lambda::EventSourceMapping',
    )) {
      const props = resource.Properties ?? {};
      const sourceArn = this.resolver.resolve(stack, props.EventSourceArn);
      if (typeof sourceArn !== 'string' || !sourceArn.startsWith('arn:aws:kafka:')) continue;
      const fnRef = this.resolver.resolve(stack, props.FunctionName);
      const fn =
        this.functionByArn(fnRef) ?? [...this.functions.values()].find((f) => f.definition.name === fnRef);
      if (!fn) throw new TemplateError(`Event source mapping ${logicalId} refers to an unknown function`);
      const topics = (this.resolver.resolve(stack, props.Topics) as string[] | undefined) ?? [];
      const config = props.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId?: unknown } | undefined;
      const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
        ?.OnFailure?.Destination;
      const queue = onFailure === undefined ? undefined : this.queueName(stack, onFailure);
      const mapping = new KafkaMapping(
        {
          logicalId,
          fn,
          clusterArn: sourceArn,
          topics,
          consumerGroupId: config?.ConsumerGroupId
            ? this.resolver.resolveString(stack, config.ConsumerGroupId)
            : `lambda-${logicalId}`,
          batchSize: Number(props.BatchSize ?? 100),
          maxBatchingWindowMs: Number(props.MaximumBatchingWindowInSeconds ?? 0.5) * 1000,
          startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          maxRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
          bisectOnError: props.BisectBatchOnFunctionError === true,
          onFailure: queue ? (message) => this.enqueue(queue, message) : undefined,
        },
        this.kafka.bootstrapServers,
        this.logs,
        { retryBaseDelayMs: 200, partitionsConcurrently: 3 },
      );
      this.kafkaMappings.push(mapping);
    }
    // Consumer groups join in parallel: each join takes a few seconds against the mock cluster.
    await Promise.all(this.kafkaMappings.map((mapping) => mapping.start()));
  }

  private startSchedules(): void {
    const scale = this.options.timeScale ?? 1;
    for (const { stack, logicalId, resource } of resourcesOfType(this.stacks, 'AWS::Events::Rule')) {
      const expression = resource.Properties?.ScheduleExpression;
      const periodMs = typeof expression === 'string' ? ratePeriodMs(expression) : undefined;
      if (!periodMs || resource.Properties?.State === 'DISABLED') continue;
      for (const target of (resource.Properties?.Targets ?? []) as { Arn: unknown }[]) {
        const fn = this.functionByArn(this.resolver.resolve(stack, target.Arn));
        if (!fn) continue;
        const schedule: Schedule = {
          logicalId,
          periodMs: periodMs / scale,
          fn,
          ruleArn: `arn:aws:events:us-east-1:000000000000:rule/${logicalId}`,
        };
        schedule.timer = setInterval(() => void this.fire(schedule), schedule.periodMs);
        this.schedules.push(schedule);
      }
    }
  }

  private async fire(schedule: Schedule) {
    const result = await schedule.fn.invoke({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [schedule.ruleArn],
      detail: {},
    });
    if (!result.ok)
      this.logs.write(
        'scheduler',
        `${schedule.logicalId}: ${result.error.errorType}: ${result.error.errorMessage}`,
      );
    return result;
  }

  /** Fires the schedule(s) targeting the function matching `fragment` now, and waits for the result. */
  async triggerSchedule(fragment: string) {
    const fn = this.fn(fragment);
    const schedule = this.schedules.find((s) => s.fn === fn) ?? {
      logicalId: 'manual',
      periodMs: 0,
      fn,
      ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/manual',
    };
    return this.fire(schedule);
  }

  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const schedule of this.schedules) clearInterval(schedule.timer);
      await this.api?.stop();
      await Promise.all(this.mappings.map((mapping) => mapping.stop()));
      await Promise.all(this.kafkaMappings.map((mapping) => mapping.stop()));
      await this.stepFunctions?.stop();
      await this.meter?.stop();
      await Promise.all([...this.functions.values()].map((fn) => fn.stop()));
      await Promise.allSettled([this.dynamo.stop(), this.kafka.stop()]);
      await this.logs.close();
    })();
    return this.stopping;
  }
}
