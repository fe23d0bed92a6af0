import {
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  paginateListEventSourceMappings,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';
import type { AwsClients } from './aws';
import { ChaosError } from './errors';

/** A function of the stage, as the Lambda API describes it. */
export interface SystemFunction {
  name: string;
  arn: string;
  /** `POWERTOOLS_SERVICE_NAME`: the service it belongs to. */
  service: string;
  variables: Record<string, string>;
}

/** An MSK event source mapping of a consumer. */
export interface KafkaMappingInfo {
  uuid: string;
  functionArn: string;
  topic: string;
  consumerGroupId: string;
  state: string;
  configuration: EventSourceMappingConfiguration;
}

/** The tables the invariants read, by the environment variable the functions' contracts name them with. */
export const TABLE_VARIABLES = [
  'ORDERS_TABLE_NAME',
  'INVENTORY_TABLE_NAME',
  'PAYMENTS_TABLE_NAME',
  'NOTIFICATIONS_TABLE_NAME',
  'DEAD_LETTER_TABLE_NAME',
  'PSP_TABLE_NAME',
] as const;
export type TableVariable = (typeof TABLE_VARIABLES)[number];

/**
 * The deployed system, found through the Lambda API only: the stage's functions (names starting with
 * `OrderSaga-<stage>-`) and their environment, which names every table (contracts bind tables to
 * variables) and the Kafka cluster; the consumers' MSK mappings; the relays' stream mappings. Faults
 * pick their targets by what a function is (the variables of its contract, its mappings), never by
 * a physical name, so the same scenario runs locally and on AWS.
 */
export class SystemMap {
  private constructor(
    readonly functions: readonly SystemFunction[],
    readonly kafkaMappings: readonly KafkaMappingInfo[],
    /** Functions triggered by DynamoDB streams (the outbox relays). */
    readonly streamConsumers: ReadonlySet<string>,
    readonly tables: Partial<Record<TableVariable, string>>,
  ) {}

  static async discover(clients: AwsClients, stage: string): Promise<SystemMap> {
    const prefix = `OrderSaga-${stage}-`;
    const listed: FunctionConfiguration[] = [];
    for await (const page of paginateListFunctions({ client: clients.lambda }, {}))
      listed.push(...(page.Functions ?? []).filter((fn) => fn.FunctionName?.startsWith(prefix)));
    if (listed.length === 0)
      throw new ChaosError(`No function named ${prefix}* on this Lambda endpoint: is the stage deployed?`);
    // ListFunctions may leave out the environment; GetFunctionConfiguration has it.
    const functions: SystemFunction[] = [];
    for (const fn of listed) {
      const configuration = fn.Environment?.Variables
        ? fn
        : await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.FunctionName }));
      const variables = configuration.Environment?.Variables ?? {};
      functions.push({
        name: fn.FunctionName as string,
        arn: fn.FunctionArn as string,
        service: variables.POWERTOOLS_SERVICE_NAME ?? '',
        variables,
      });
    }
    const arns = new Set(functions.map((fn) => fn.arn));
    const kafkaMappings: KafkaMappingInfo[] = [];
    const streamConsumers = new Set<string>();
    for await (const page of paginateListEventSourceMappings({ client: clients.lambda }, {})) {
      for (const mapping of page.EventSourceMappings ?? []) {
        const functionArn = mapping.FunctionArn?.replace(/:\$LATEST$/, '') ?? '';
        if (!arns.has(functionArn)) continue;
        if (mapping.EventSourceArn?.includes(':dynamodb:')) streamConsumers.add(functionArn);
        if (!mapping.EventSourceArn?.startsWith('arn:aws:kafka:')) continue;
        kafkaMappings.push({
          uuid: mapping.UUID as string,
          functionArn,
          topic: mapping.Topics?.[0] ?? '',
          consumerGroupId: mapping.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ?? '',
          state: mapping.State ?? '',
          configuration: mapping,
        });
      }
    }
    const tables: Partial<Record<TableVariable, string>> = {};
    for (const variable of TABLE_VARIABLES) {
      const names = new Set(functions.map((fn) => fn.variables[variable]).filter((name) => !!name));
      if (names.size > 1) throw new ChaosError(`Functions disagree on ${variable}: ${[...names].join(', ')}`);
      const [name] = names;
      if (name) tables[variable] = name;
    }
    return new SystemMap(functions, kafkaMappings, streamConsumers, tables);
  }

  /** The table behind a variable; throws when no function names it. */
  table(variable: TableVariable): string {
    const name = this.tables[variable];
    if (!name) throw new ChaosError(`No function of the stage names ${variable}`);
    return name;
  }

  /** Functions whose environment has this variable (the functions whose contract declares it). */
  withVariable(variable: string): SystemFunction[] {
    return this.functions.filter((fn) => variable in fn.variables);
  }

  /** The Kafka consumers (functions with MSK mappings) and their services. */
  get consumers(): SystemFunction[] {
    const arns = new Set(this.kafkaMappings.map((mapping) => mapping.functionArn));
    return this.functions.filter((fn) => arns.has(fn.arn));
  }

  /** The outbox relays (functions triggered by table streams). */
  get relays(): SystemFunction[] {
    return this.functions.filter((fn) => this.streamConsumers.has(fn.arn));
  }

  /** The services that consume each topic (each dead-letters a poison record of it). */
  consumersOf(topic: string): string[] {
    const services = this.kafkaMappings
      .filter((mapping) => mapping.topic === topic)
      .map((mapping) => this.functions.find((fn) => fn.arn === mapping.functionArn)?.service ?? '');
    return [...new Set(services.filter(Boolean))].sort();
  }

  /** The consumer of `service` (the function with MSK mappings and that service name). */
  consumer(service: string): SystemFunction {
    const fn = this.consumers.find((candidate) => candidate.service === service);
    if (!fn) throw new ChaosError(`No Kafka consumer of the ${service} service`);
    return fn;
  }

  topics(): string[] {
    return [...new Set(this.kafkaMappings.map((mapping) => mapping.topic))].sort();
  }

  /** The Kafka connection the functions use: explicit brokers, or the cluster whose brokers to ask for. */
  get kafka(): { bootstrapBrokers?: string; clusterArn?: string; auth: 'iam' | 'none' } {
    const withKafka = this.withVariable('KAFKA_AUTH')[0]?.variables ?? {};
    return {
      ...(withKafka.KAFKA_BOOTSTRAP_BROKERS ? { bootstrapBrokers: withKafka.KAFKA_BOOTSTRAP_BROKERS } : {}),
      ...(withKafka.MSK_CLUSTER_ARN ? { clusterArn: withKafka.MSK_CLUSTER_ARN } : {}),
      auth: withKafka.KAFKA_AUTH === 'none' ? 'none' : 'iam',
    };
  }
}
