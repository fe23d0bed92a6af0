import { KafkaMapping } from './kafka-mapping';
import type { LocalLambda } from './lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './resolve';
import type { StreamMapping } from './stream-mapping';

/** An error the Lambda API answers with: HTTP status, `x-amzn-ErrorType` and `{ Type, Message }`. */
export class LambdaApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export type LocalMapping = StreamMapping | KafkaMapping;

/** Lambda's `LastModified` of a function: ISO 8601 with milliseconds and a `+0000` offset. */
const functionTimestamp = (date: Date) => date.toISOString().replace('Z', '+0000');

/** A function as `GetFunctionConfiguration` and `ListFunctions` describe it. */
export function functionConfiguration(fn: LocalLambda, lastModified: Date) {
  const { definition } = fn;
  return {
    FunctionName: definition.name,
    FunctionArn: definition.arn,
    Runtime: definition.runtime,
    Role: definition.role,
    Handler: definition.handler,
    Description: definition.description ?? '',
    Timeout: definition.timeoutMs / 1000,
    MemorySize: definition.memoryMb,
    LastModified: functionTimestamp(lastModified),
    Version: '$LATEST',
    Environment: { Variables: { ...(definition.variables ?? definition.environment) } },
    TracingConfig: { Mode: 'PassThrough' },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  };
}

/** The UUID a mapping is known by (its definition's, or one derived from its logical id). */
export function uuidOf(mapping: LocalMapping): string {
  return mapping.definition.uuid ?? mapping.definition.logicalId;
}

/** The ARN of the mapping's event source: a table stream or an MSK cluster. */
export function eventSourceArnOf(mapping: LocalMapping): string {
  return mapping instanceof KafkaMapping ? mapping.definition.clusterArn : mapping.definition.streamArn;
}

/** A mapping as `GetEventSourceMapping` and `ListEventSourceMappings` describe it. */
export function mappingConfiguration(mapping: LocalMapping) {
  const { definition } = mapping;
  const uuid = uuidOf(mapping);
  const windowSeconds = (definition.maxBatchingWindowMs * (definition.timeScale ?? 1)) / 1000;
  const filters = definition.filters ?? [];
  const common = {
    UUID: uuid,
    EventSourceMappingArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-source-mapping:${uuid}`,
    StartingPosition: definition.startingPosition,
    BatchSize: definition.batchSize,
    MaximumBatchingWindowInSeconds: Math.round(windowSeconds * 1000) / 1000,
    EventSourceArn: eventSourceArnOf(mapping),
    FunctionArn: definition.fn.definition.arn,
    LastModified: mapping.control.lastModified.getTime() / 1000,
    LastProcessingResult: mapping.invocations > 0 ? 'OK' : 'No records processed',
    State: mapping.control.state,
    StateTransitionReason: 'USER_INITIATED',
    ...(definition.destinationArn
      ? { DestinationConfig: { OnFailure: { Destination: definition.destinationArn } } }
      : {}),
    ...(filters.length > 0
      ? { FilterCriteria: { Filters: filters.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) } }
      : {}),
    MaximumRecordAgeInSeconds: definition.maxRecordAgeSeconds ?? -1,
    BisectBatchOnFunctionError: definition.bisectOnError,
    MaximumRetryAttempts: definition.maxRetryAttempts,
    FunctionResponseTypes: definition.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
  };
  if (mapping instanceof KafkaMapping) {
    return {
      ...common,
      Topics: [...mapping.definition.topics],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: mapping.definition.consumerGroupId },
    };
  }
  return { ...common, ParallelizationFactor: 1 };
}

const UPDATABLE = new Set(['UUID', 'Enabled', 'BatchSize', 'MaximumBatchingWindowInSeconds']);

/**
 * Applies an `UpdateEventSourceMapping` request: `Enabled` (disabling stops polling, enabling goes on
 * from the committed offsets or the last finished stream record), `BatchSize` and
 * `MaximumBatchingWindowInSeconds`. Other settings are refused: the local runtime does not change them.
 */
export function updateMapping(mapping: LocalMapping, body: Record<string, unknown>): void {
  const unsupported = Object.keys(body).filter((key) => !UPDATABLE.has(key) && body[key] !== undefined);
  if (unsupported.length > 0)
    throw new LambdaApiError(
      400,
      'InvalidParameterValueException',
      `The local runtime cannot update ${unsupported.join(', ')}; only Enabled, BatchSize and MaximumBatchingWindowInSeconds`,
    );
  const { BatchSize, MaximumBatchingWindowInSeconds, Enabled } = body;
  if (
    BatchSize !== undefined &&
    (typeof BatchSize !== 'number' || !Number.isInteger(BatchSize) || BatchSize < 1 || BatchSize > 10_000)
  )
    throw new LambdaApiError(
      400,
      'InvalidParameterValueException',
      'BatchSize must be an integer from 1 to 10000',
    );
  if (
    MaximumBatchingWindowInSeconds !== undefined &&
    (typeof MaximumBatchingWindowInSeconds !== 'number' ||
      MaximumBatchingWindowInSeconds < 0 ||
      MaximumBatchingWindowInSeconds > 300)
  )
    throw new LambdaApiError(
      400,
      'InvalidParameterValueException',
      'MaximumBatchingWindowInSeconds must be a number from 0 to 300',
    );
  if (Enabled !== undefined && typeof Enabled !== 'boolean')
    throw new LambdaApiError(400, 'InvalidParameterValueException', 'Enabled must be a boolean');
  mapping.configure({
    ...(BatchSize === undefined ? {} : { batchSize: BatchSize }),
    ...(MaximumBatchingWindowInSeconds === undefined
      ? {}
      : {
          maxBatchingWindowMs: (MaximumBatchingWindowInSeconds * 1000) / (mapping.definition.timeScale ?? 1),
        }),
  });
  if (Enabled !== undefined) void mapping.setEnabled(Enabled);
}

/** What `CreateEventSourceMapping` asks for, for an Amazon MSK source, as the runtime reads it. */
export interface KafkaMappingRequest {
  functionName: string;
  clusterArn: string;
  topic: string;
  consumerGroupId: string | undefined;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  batchSize: number;
  maxBatchingWindowSeconds: number;
  enabled: boolean;
  maxRetryAttempts: number;
  bisectOnError: boolean;
  maxRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  filters: Record<string, unknown>[];
  destinationArn: string | undefined;
}

const CREATABLE = new Set([
  'FunctionName',
  'EventSourceArn',
  'Topics',
  'StartingPosition',
  'BatchSize',
  'MaximumBatchingWindowInSeconds',
  'Enabled',
  'AmazonManagedKafkaEventSourceConfig',
  'MaximumRetryAttempts',
  'BisectBatchOnFunctionError',
  'MaximumRecordAgeInSeconds',
  'FunctionResponseTypes',
  'FilterCriteria',
  'DestinationConfig',
  // Accepted and not applied locally (see localstack/README.md).
  'ProvisionedPollerConfig',
  'Tags',
]);

const invalid = (message: string) => new LambdaApiError(400, 'InvalidParameterValueException', message);

/**
 * Reads a `CreateEventSourceMapping` request for an Amazon MSK cluster (the only source kind the
 * runtime creates at run time), with Lambda's defaults and checks: one topic, a starting position,
 * batch size 1–10000, a consumer group id of at most 200 characters.
 */
export function kafkaMappingRequest(body: Record<string, unknown>): KafkaMappingRequest {
  const unsupported = Object.keys(body).filter((key) => !CREATABLE.has(key) && body[key] !== undefined);
  if (unsupported.length > 0)
    throw invalid(`The local runtime cannot create mappings with ${unsupported.join(', ')}`);
  const { FunctionName, EventSourceArn, Topics, StartingPosition } = body;
  if (typeof FunctionName !== 'string' || FunctionName === '') throw invalid('FunctionName is required');
  if (typeof EventSourceArn !== 'string' || !EventSourceArn.startsWith('arn:aws:kafka:'))
    throw invalid('The local runtime creates mappings of Amazon MSK clusters only (EventSourceArn)');
  if (!Array.isArray(Topics) || Topics.length !== 1 || typeof Topics[0] !== 'string')
    throw invalid('Topics must name exactly one topic');
  if (StartingPosition !== 'TRIM_HORIZON' && StartingPosition !== 'LATEST')
    throw invalid('StartingPosition must be TRIM_HORIZON or LATEST for a Kafka source');
  const number = (key: string, fallback: number, min: number, max: number) => {
    const value = body[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
      throw invalid(`${key} must be a number from ${min} to ${max}`);
    return value;
  };
  const batchSize = number('BatchSize', 100, 1, 10_000);
  if (!Number.isInteger(batchSize)) throw invalid('BatchSize must be an integer');
  const groupId = (body.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId?: unknown } | undefined)
    ?.ConsumerGroupId;
  if (groupId !== undefined && (typeof groupId !== 'string' || groupId.length < 1 || groupId.length > 200))
    throw invalid('ConsumerGroupId must be 1 to 200 characters');
  const filters = (
    (body.FilterCriteria as { Filters?: { Pattern?: unknown }[] } | undefined)?.Filters ?? []
  ).map((filter) => {
    try {
      return JSON.parse(String(filter.Pattern)) as Record<string, unknown>;
    } catch (error) {
      throw invalid(`Invalid filter pattern: ${String(filter.Pattern)} (${String(error)})`);
    }
  });
  const destination = (body.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)
    ?.OnFailure?.Destination;
  return {
    functionName: FunctionName,
    clusterArn: EventSourceArn,
    topic: Topics[0],
    consumerGroupId: groupId,
    startingPosition: StartingPosition,
    batchSize,
    maxBatchingWindowSeconds: number('MaximumBatchingWindowInSeconds', 0.5, 0, 300),
    enabled: body.Enabled !== false,
    maxRetryAttempts: number('MaximumRetryAttempts', -1, -1, 10_000),
    bisectOnError: body.BisectBatchOnFunctionError === true,
    maxRecordAgeSeconds: number('MaximumRecordAgeInSeconds', -1, -1, 604_800),
    reportBatchItemFailures: ((body.FunctionResponseTypes as unknown[] | undefined) ?? []).includes(
      'ReportBatchItemFailures',
    ),
    filters,
    destinationArn: typeof destination === 'string' ? destination : undefined,
  };
}
