import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import type { LocalLambda } from '#localstack/runtime/lambda';
import { LambdaApiError, mappingConfiguration, updateMapping } from '#localstack/runtime/lambda-api';
import { LogSink } from '#localstack/runtime/logs';
import { mappingUuid } from '#localstack/runtime/mapping-switch';
import { StreamMapping } from '#localstack/runtime/stream-mapping';

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/local';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:relay';

/** A stream mapping that is never started (nothing polls). */
const streamMapping = () =>
  new StreamMapping(
    {
      logicalId: 'RelayMapping',
      uuid: mappingUuid('OrderSaga-dev-OrderService', 'RelayMapping'),
      enabled: false,
      fn: { definition: { arn: FUNCTION_ARN } } as LocalLambda,
      tableName: 'orders',
      streamArn: STREAM_ARN,
      batchSize: 100,
      maxBatchingWindowMs: 20,
      timeScale: 50,
      startingPosition: 'TRIM_HORIZON',
      bisectOnError: true,
      maxRetryAttempts: 5,
      maxRecordAgeSeconds: 86_400,
      reportBatchItemFailures: true,
      filters: [{ eventName: ['INSERT'] }],
      destinationArn: 'arn:aws:sqs:us-east-1:000000000000:relay-dlq',
    },
    {} as DynamoDBStreamsClient,
    new LogSink(undefined, false),
    { pollIntervalMs: 100, retryBaseDelayMs: 200 },
  );

describe('Function: mappingUuid', () => {
  it('gives the same UUID-shaped id for the same stack and logical id, and another for another', () => {
    // Act
    const first = mappingUuid('Stack', 'Mapping');
    const again = mappingUuid('Stack', 'Mapping');
    const other = mappingUuid('Stack', 'Other');

    // Assess
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe('Function: mappingConfiguration', () => {
  it('describes a stream mapping as GetEventSourceMapping does, with the unscaled batching window', () => {
    // Prepare
    const mapping = streamMapping();

    // Act
    const configuration = mappingConfiguration(mapping);

    // Assess
    expect(configuration).toMatchObject({
      UUID: mapping.definition.uuid,
      EventSourceArn: STREAM_ARN,
      FunctionArn: FUNCTION_ARN,
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      State: 'Disabled',
      StateTransitionReason: 'USER_INITIATED',
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:relay-dlq' } },
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
      MaximumRecordAgeInSeconds: 86_400,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      LastProcessingResult: 'No records processed',
    });
    expect(configuration).not.toHaveProperty('Topics');
  });
});

describe('Function: updateMapping', () => {
  it('changes the batch size and the batching window, scaled by the time scale', () => {
    // Prepare
    const mapping = streamMapping();

    // Act
    updateMapping(mapping, {
      UUID: mapping.definition.uuid,
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
    });

    // Assess
    expect(mapping.definition.batchSize).toBe(10);
    expect(mapping.definition.maxBatchingWindowMs).toBe(100);
    expect(mappingConfiguration(mapping)).toMatchObject({ BatchSize: 10, MaximumBatchingWindowInSeconds: 5 });
  });

  it.each([
    [{ BatchSize: 0 }, 'BatchSize'],
    [{ BatchSize: 1.5 }, 'BatchSize'],
    [{ MaximumBatchingWindowInSeconds: 301 }, 'MaximumBatchingWindowInSeconds'],
    [{ Enabled: 'no' }, 'Enabled'],
    [{ MaximumRetryAttempts: 3 }, 'MaximumRetryAttempts'],
  ])('refuses %j with InvalidParameterValueException', (body, field) => {
    // Prepare
    const mapping = streamMapping();

    // Act
    const update = () => updateMapping(mapping, body);

    // Assess
    expect(update).toThrow(LambdaApiError);
    expect(update).toThrow(field);
    expect(mapping.definition.batchSize).toBe(100);
  });
});
