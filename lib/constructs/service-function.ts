import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type * as z from 'zod';
import type { AnyContract, ServiceName, TableAccess } from '#platform/contract';
import { InfrastructureError } from '../errors';
import { FUNCTIONS_DIR, PROJECT_ROOT } from '../paths';
import { PROJECT_TOPIC_NAMES } from '../topics';
import { type KafkaConnection, kafkaTopicArn } from './kafka-connection';

/** CloudWatch namespace of the business metrics every function emits through Powertools. */
export const METRICS_NAMESPACE = 'OrderSaga';

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type KafkaAccess = 'produce' | 'admin';

export interface KafkaBinding {
  readonly connection: KafkaConnection;
  readonly access: KafkaAccess;
  /** The only topics the function may use (its IAM grants). */
  readonly topics: readonly string[];
  /** Client id reported to the brokers (`KAFKA_CLIENT_ID`). */
  readonly clientId: string;
}

/** The table each table variable of a contract is bound to. */
export type TablesOf<C extends AnyContract> = { readonly [K in keyof C['tables']]: dynamodb.ITable };

/** The settings a contract needs from the CDK app: required where the contract has no default. */
export type SettingsOf<C extends AnyContract> = z.input<C['settings']>;

type SettingsProp<C extends AnyContract> =
  Record<never, never> extends SettingsOf<C>
    ? { readonly settings?: SettingsOf<C> }
    : { readonly settings: SettingsOf<C> };

interface BaseFunctionProps<C extends AnyContract> {
  /** What the function is: entry, service, tables, settings, metrics, events (see functions/platform/contract.ts). */
  readonly contract: C;
  /** The owning service of a function deployed once per service (contract without a service). */
  readonly service?: ServiceName;
  /** @default the contract's description */
  readonly description?: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default INFO */
  readonly logLevel?: LogLevelName;
  /** What happens to the function's log group when the stack is deleted. @default DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Connects the function to Kafka: places it in the cluster's VPC with the client security group and
   * applies `bindKafka`. VPC placement is fixed at creation, hence a prop rather than a later call.
   */
  readonly kafka?: KafkaBinding;
  /** Dead-letter queue for asynchronous invocations (schedules, events). */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Concurrency reserved for (and capping) the function. @default none: the account's unreserved pool */
  readonly reservedConcurrentExecutions?: number;
}

export type ServiceFunctionProps<C extends AnyContract> = BaseFunctionProps<C> & {
  /** The table behind each table variable of the contract, granted the contract's access. */
  readonly tables: TablesOf<C>;
} & SettingsProp<C>;

/** Loads the CommonJS `require` into the ESM bundle for dependencies that still call it. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);";

/**
 * A Lambda function with the project's defaults: Node.js 24 on arm64, an ESM bundle built by local
 * esbuild (AWS SDK included, so the deployed code is exactly the pinned versions), source maps,
 * X-Ray active tracing, JSON logs into a log group with one month retention, explicit memory and
 * timeout, and the Powertools environment.
 *
 * The bundle is a self-contained directory in the cloud assembly (`cdk.out/asset.<hash>/index.mjs`
 * plus its source map), which is also what the local runtime executes.
 */
export class ServiceFunction<C extends AnyContract = AnyContract> extends NodejsFunction {
  readonly contract: C;
  /** The service the function belongs to: POWERTOOLS_SERVICE_NAME and the metrics dimension. */
  readonly serviceName: ServiceName;
  /** `<service>-<function>`: the function's label on dashboards. */
  readonly label: string;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps<C>) {
    const { contract } = props;
    const serviceName = contract.service ?? props.service;
    if (serviceName === undefined) {
      throw new InfrastructureError(`${id}: ${contract.name} is deployed per service; pass "service"`);
    }
    if (contract.service !== undefined && props.service !== undefined && props.service !== contract.service) {
      throw new InfrastructureError(
        `${id}: ${contract.name} belongs to ${contract.service}, not ${props.service}`,
      );
    }
    const entry = join(FUNCTIONS_DIR, contract.entry);
    if (!existsSync(entry)) {
      throw new InfrastructureError(`Function entry functions/${contract.entry} does not exist`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const kafka = props.kafka?.connection;
    super(scope, id, {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description ?? contract.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(kafka
        ? { vpc: kafka.vpc, vpcSubnets: kafka.subnets, securityGroups: [kafka.clientSecurityGroup] }
        : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...renderSettings(contract, {
          ...(props.kafka ? kafkaClientSettings(props.kafka) : {}),
          ...(props.settings as Record<string, unknown> | undefined),
        }),
      },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
    this.contract = contract;
    this.serviceName = serviceName;
    this.label = `${serviceName}-${contract.name}`;

    const validations = Validations.of(this);
    validations.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole only allows writing the function’s own CloudWatch logs; it is the standard Lambda execution policy.',
    });
    validations.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only actions without resource-level scoping get "*": xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) and, for stream consumers, dynamodb:ListStreams. DynamoDB and Kafka grants are scoped to ARNs; an infra test fails on any other "*" resource.',
    });
    if (kafka) {
      validations.acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'AWSLambdaVPCAccessExecutionRole only manages the function’s network interfaces; Lambda needs it to run in the VPC that reaches MSK.',
      });
    }
    if (props.kafka) bindKafka(this, props.kafka.connection, props.kafka.access, props.kafka.topics);
    for (const [envName, access] of Object.entries(contract.tables)) {
      const table = (props.tables as Record<string, dynamodb.ITable | undefined>)[envName];
      if (!table) throw new InfrastructureError(`${this.node.path}: no table for ${envName}`);
      bindTable(this, table, envName, access);
    }
  }
}

/**
 * The contract's settings as environment variables: validated with the contract's schema (values CDK
 * resolves only at deploy time are passed through), defaults filled in, rendered as text.
 */
export function renderSettings(
  contract: AnyContract,
  values: Record<string, unknown>,
): Record<string, string> {
  const schema = contract.settings;
  const unknownNames = Object.keys(values).filter((name) => !(name in schema.shape));
  if (unknownNames.length > 0) {
    throw new InfrastructureError(`${contract.name} does not declare ${unknownNames.join(', ')}`);
  }
  const deferred = Object.fromEntries(
    Object.entries(values).filter(([, value]) => typeof value === 'string' && Token.isUnresolved(value)),
  ) as Record<string, string>;
  const checked = schema.omit(Object.fromEntries(Object.keys(deferred).map((name) => [name, true])));
  const result = checked.safeParse(
    Object.fromEntries(Object.entries(values).filter(([name]) => !(name in deferred))),
  );
  if (!result.success) {
    throw new InfrastructureError(
      `${contract.name}: invalid settings: ${result.error.issues
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
        .join('; ')}`,
      { cause: result.error },
    );
  }
  const rendered: Record<string, string> = { ...deferred };
  for (const [name, value] of Object.entries(result.data as Record<string, unknown>)) {
    rendered[name] = typeof value === 'string' ? value : String(value);
  }
  return rendered;
}

/** Item reads plus DescribeTable (health checks). */
export const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;

/**
 * Item writes. DynamoDB has no separate IAM action for TransactWriteItems: each Put/Update/Delete/
 * ConditionCheck of a transaction is authorized as the matching item action.
 */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

const ENV_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/**
 * Gives a function a table: sets `envName` to the table name and grants the access level, scoped to
 * the table's ARN (indexes and other tables stay out of reach; see `grantTableActions`).
 * - `read`: item reads and DescribeTable;
 * - `readWrite`: `read` plus item writes (also what transactions need);
 * - `streamRead`: the table's stream (for stream consumers), no item access;
 * - `named`: the name only; the caller grants narrower actions itself.
 */
export function bindTable(
  fn: lambda.Function,
  table: dynamodb.ITable,
  envName: string,
  access: TableAccess,
): iam.Grant | undefined {
  if (!ENV_NAME_PATTERN.test(envName)) {
    throw new InfrastructureError(`Environment variable name "${envName}" must be UPPER_SNAKE_CASE`);
  }
  fn.addEnvironment(envName, table.tableName);
  switch (access) {
    case 'read':
      return grantTableActions(fn, table, TABLE_READ_ACTIONS);
    case 'readWrite':
      return grantTableActions(fn, table, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]);
    case 'streamRead':
      if (table.tableStreamArn === undefined) {
        throw new InfrastructureError(`${fn.node.path}: streamRead needs a table with a stream`);
      }
      return table.grantStreamRead(fn);
    case 'named':
      return undefined;
  }
}

/**
 * Grants exactly `actions` on the table, or on one of its indexes when `indexName` is given
 * (`<tableArn>/index/<indexName>`), never on `index/*`. `leadingKeys` narrows item actions to
 * partition keys matching one of the patterns (`dynamodb:LeadingKeys`, e.g. `DEADLETTER#*`), so a
 * function that writes one kind of item of a shared table can write no other.
 */
export function grantTableActions(
  fn: lambda.IFunction,
  table: dynamodb.ITable,
  actions: readonly string[],
  options: { indexName?: string; leadingKeys?: readonly string[] } = {},
): iam.Grant {
  const resourceArn =
    options.indexName === undefined ? table.tableArn : `${table.tableArn}/index/${options.indexName}`;
  if (options.leadingKeys === undefined) {
    return iam.Grant.addToPrincipal({ grantee: fn, actions: [...actions], resourceArns: [resourceArn] });
  }
  if (options.leadingKeys.length === 0) {
    throw new InfrastructureError(`${fn.node.path}: leadingKeys must name at least one key pattern`);
  }
  return iam.Grant.addToPrincipal({
    grantee: fn,
    actions: [...actions],
    resourceArns: [resourceArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...options.leadingKeys] } },
  });
}

/** The Kafka client settings (`KAFKA_CLIENT_SETTINGS`) of a function bound to `kafka`. */
export function kafkaClientSettings(binding: KafkaBinding): Record<string, string> {
  const { connection } = binding;
  return {
    MSK_CLUSTER_ARN: connection.clusterArn,
    KAFKA_BOOTSTRAP_BROKERS: connection.bootstrapBrokers ?? '',
    KAFKA_AUTH: connection.auth ?? 'iam',
    KAFKA_CLIENT_ID: binding.clientId,
  };
}

/**
 * Gives a function Kafka access: IAM scoped to the cluster and `topics` (the connection settings are
 * rendered from the function's contract, see `kafkaClientSettings`).
 * - `produce`: connect, write and describe the topics (the producer is not idempotent, as tested);
 * - `admin`: connect, create, describe and alter the topics.
 * The function must already run in the connection's VPC with its client security group (create it
 * as a `ServiceFunction` with the `kafka` prop, which calls this).
 */
export function bindKafka(
  fn: lambda.Function,
  kafka: KafkaConnection,
  access: KafkaAccess,
  topics: readonly string[],
): void {
  const inVpc =
    fn.isBoundToVpc && fn.connections.securityGroups.some((group) => group === kafka.clientSecurityGroup);
  if (!inVpc) {
    throw new InfrastructureError(
      `${fn.node.path}: a Kafka client must run in the cluster's VPC with the client security group; create it as a ServiceFunction with the "kafka" prop`,
    );
  }

  const unknown = topics.filter((topic) => !PROJECT_TOPIC_NAMES.includes(topic));
  if (topics.length === 0 || unknown.length > 0) {
    throw new InfrastructureError(
      `${fn.node.path}: Kafka access needs topics of the project (got ${topics.join(', ') || 'none'})`,
    );
  }
  const topicArns = topics.map((topic) => kafkaTopicArn(kafka.clusterArn, topic));
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'MskBootstrapBrokers',
      actions: ['kafka:GetBootstrapBrokers'],
      resources: [kafka.clusterArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'MskClusterConnect',
      actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
      resources: [kafka.clusterArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: access === 'produce' ? 'MskTopicsProduce' : 'MskTopicsAdmin',
      actions:
        access === 'produce'
          ? ['kafka-cluster:WriteData', 'kafka-cluster:DescribeTopic']
          : ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:AlterTopic'],
      resources: topicArns,
    }),
  );
}

/**
 * Records why a function has no dead-letter queue: a DLQ only receives failed asynchronous
 * invocations, and this function is only ever invoked synchronously (`invoker` says by whom), where
 * the caller sees and handles the error.
 */
export function acknowledgeSynchronousInvocation(fn: lambda.Function, invoker: string): void {
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason: `Invoked synchronously by ${invoker}; a dead-letter queue only applies to asynchronous invocations, and the caller receives and handles the error.`,
  });
}
