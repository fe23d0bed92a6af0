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
