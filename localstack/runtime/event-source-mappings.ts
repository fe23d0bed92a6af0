import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { LocalFunctions } from './functions';
import { KafkaMapping, type KafkaMappingOptions } from './kafka-mapping';
import type { LogSink } from './logs';
import { mappingUuid } from './mapping-switch';
import type { OnFailureDestination, OnFailureRecord } from './on-failure';
import type { Resolver } from './resolve';
import { type MappingOptions, StreamMapping } from './stream-mapping';
import type { LocalTable } from './tables';
import { type LocatedResource, resourcesOfType, type StackTemplate, TemplateError } from './template';

export interface MappingsContext {
  stacks: readonly StackTemplate[];
  resolver: Resolver;
  functions: LocalFunctions;
  logs: LogSink;
  /** Where an on-failure record for the SQS queue `queueName` goes. */
  enqueue: (queueName: string, record: unknown) => void;
  /** Where an on-failure record for the S3 bucket `bucketName` goes (with the mapping's UUID). */
  writeObject?: (bucketName: string, mappingUuid: string, record: OnFailureRecord, payload: unknown) => void;
  /** Batching windows run this many times faster, like every other duration the runtime scales. */
  timeScale?: number;
}

/** The patterns of a mapping's `FilterCriteria`. */
function filtersOf(props: Record<string, unknown>): Record<string, unknown>[] {
  return ((props.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []).map(
    (filter) => JSON.parse(filter.Pattern) as Record<string, unknown>,
  );
}

/** Whether `FunctionResponseTypes` holds `ReportBatchItemFailures`. */
function reportsBatchItemFailures(props: Record<string, unknown>): boolean {
  return ((props.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures');
}

/** The SQS queue or S3 bucket a destination ARN points at; other destination kinds are not emulated. */
function destinationOf(
  stack: StackTemplate,
  resolver: Resolver,
  destination: unknown,
): { queue: string } | { bucket: string } | undefined {
  const arn = resolver.resolve(stack, destination);
  if (typeof arn !== 'string') return undefined;
  if (arn.startsWith('arn:aws:sqs:')) return { queue: arn.split(':').pop() ?? '' };
  if (arn.startsWith('arn:aws:s3:::')) return { bucket: arn.slice('arn:aws:s3:::'.length) };
  return undefined;
}

/** The ARN of the mapping's on-failure destination, whatever its kind. */
function destinationArn(
  { stack, resource }: LocatedResource,
  { resolver }: MappingsContext,
): string | undefined {
  const destination = (
    resource.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined
  )?.OnFailure?.Destination;
  const arn = destination === undefined ? undefined : resolver.resolve(stack, destination);
  return typeof arn === 'string' ? arn : undefined;
}

/**
 * The mapping's on-failure destination, when it is an SQS queue (the on-failure record) or an S3
 * bucket (the on-failure record with the invocation payload, one object per batch).
 */
function onFailureDestination(
  { stack, logicalId, resource }: LocatedResource,
  { resolver, enqueue, writeObject }: MappingsContext,
): OnFailureDestination | undefined {
  const destination = (
    resource.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined
  )?.OnFailure?.Destination;
  const target = destination === undefined ? undefined : destinationOf(stack, resolver, destination);
  if (!target) return undefined;
  if ('queue' in target) return (record) => enqueue(target.queue, record);
  const uuid = mappingUuid(stack.stackName, logicalId);
  return writeObject ? (record, payload) => writeObject(target.bucket, uuid, record, payload) : undefined;
}

/**
 * The template's DynamoDB stream event source mappings (those whose EventSourceArn is a table
 * stream), not yet started. Throws a TemplateError when one refers to a table without a stream or
 * to a function the runtime does not run.
 */
export function streamMappingsFromTemplate(
  context: MappingsContext,
  tables: ReadonlyMap<string, LocalTable>,
  streams: DynamoDBStreamsClient,
  options: MappingOptions,
): StreamMapping[] {
  const { stacks, resolver, functions, logs } = context;
  const mappings: StreamMapping[] = [];
  for (const located of resourcesOfType(stacks, 'AWS::Lambda::EventSourceMapping')) {
    const { stack, logicalId, resource } = located;
    const props = resource.Properties ?? {};
    const sourceArn = resolver.resolve(stack, props.EventSourceArn);
    const tableName =
      typeof sourceArn === 'string' ? /:table\/([^/]+)\/stream\//.exec(sourceArn)?.[1] : undefined;
    if (!tableName) continue;
    const table = [...tables.values()].find((t) => t.name === tableName);
    const fn = functions.find(resolver.resolve(stack, props.FunctionName));
    if (!table?.streamArn || !fn)
      throw new TemplateError(`Event source mapping ${logicalId} refers to an unknown table or function`);
    mappings.push(
      new StreamMapping(
        {
          logicalId,
          uuid: mappingUuid(stack.stackName, logicalId),
          enabled: props.Enabled !== false,
          fn,
          tableName,
          streamArn: table.streamArn,
          batchSize: Number(props.BatchSize ?? 100),
          maxBatchingWindowMs:
            (Number(props.MaximumBatchingWindowInSeconds ?? 0) * 1000) / (context.timeScale ?? 1),
          startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          bisectOnError: props.BisectBatchOnFunctionError === true,
          maxRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
          maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
          reportBatchItemFailures: reportsBatchItemFailures(props),
          filters: filtersOf(props),
          timeScale: context.timeScale ?? 1,
          destinationArn: destinationArn(located, context),
          onFailure: onFailureDestination(located, context),
        },
        streams,
        logs,
        options,
      ),
    );
  }
  return mappings;
}

/**
 * The template's Amazon MSK event source mappings (those whose EventSourceArn is an MSK cluster),
 * not yet started; each becomes a consumer group on the local Kafka cluster.
 */
export function kafkaMappingsFromTemplate(
  context: MappingsContext,
  bootstrapServers: string,
  options: KafkaMappingOptions,
): KafkaMapping[] {
  const { stacks, resolver, functions, logs } = context;
  const mappings: KafkaMapping[] = [];
  for (const located of resourcesOfType(stacks, 'AWS::Lambda::EventSourceMapping')) {
    const { stack, logicalId, resource } = located;
    const props = resource.Properties ?? {};
    const sourceArn = resolver.resolve(stack, props.EventSourceArn);
    if (typeof sourceArn !== 'string' || !sourceArn.startsWith('arn:aws:kafka:')) continue;
    const fn = functions.find(resolver.resolve(stack, props.FunctionName));
    if (!fn) throw new TemplateError(`Event source mapping ${logicalId} refers to an unknown function`);
    const topics = (resolver.resolve(stack, props.Topics) as string[] | undefined) ?? [];
    const config = props.AmazonManagedKafkaEventSourceConfig as { ConsumerGroupId?: unknown } | undefined;
    mappings.push(
      new KafkaMapping(
        {
          logicalId,
          uuid: mappingUuid(stack.stackName, logicalId),
          enabled: props.Enabled !== false,
          fn,
          clusterArn: sourceArn,
          topics,
          consumerGroupId: config?.ConsumerGroupId
            ? resolver.resolveString(stack, config.ConsumerGroupId)
            : `lambda-${logicalId}`,
          batchSize: Number(props.BatchSize ?? 100),
          // Lambda's default batching window for Amazon MSK sources is 500 ms.
          maxBatchingWindowMs:
            (Number(props.MaximumBatchingWindowInSeconds ?? 0.5) * 1000) / (context.timeScale ?? 1),
          startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          maxRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
          bisectOnError: props.BisectBatchOnFunctionError === true,
          maxRecordAgeSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
          reportBatchItemFailures: reportsBatchItemFailures(props),
          filters: filtersOf(props),
          timeScale: context.timeScale ?? 1,
          destinationArn: destinationArn(located, context),
          onFailure: onFailureDestination(located, context),
        },
        bootstrapServers,
        logs,
        options,
      ),
    );
  }
  return mappings;
}
