import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { BridgedKafkaMapping } from '#lib/constructs/kafka-consumer';
import { KafkaMapping } from '../runtime/kafka-mapping';
import type { LogSink } from '../runtime/logs';
import { RemoteFunction } from './remote-function';

export interface KafkaBridgeOptions {
  mappings: readonly BridgedKafkaMapping[];
  /** Brokers as this process reaches them (`host:port,...`). */
  bootstrapServers: string;
  /** The cluster ARN the events name as their source. */
  clusterArn: string;
  /** The Lambda API the functions are invoked through. */
  lambda: LambdaClient;
  logs: LogSink;
  /** Batching windows are divided by this (the local runtime's time scale). @default 1 */
  timeScale?: number;
}

/**
 * The Kafka event source mappings a deployment without them needs (LocalStack's free edition): the
 * local runtime's MSK mapping (consumer group, batching, offsets, retries, bisection, partial batch
 * responses) run on this machine against a Kafka cluster, invoking each consumer through the Lambda
 * `Invoke` API. What the mapping gives up on is logged, since the on-failure queue is not written.
 */
export class KafkaBridge {
  private constructor(readonly mappings: readonly KafkaMapping[]) {}

  static async start(options: KafkaBridgeOptions): Promise<KafkaBridge> {
    const timeScale = options.timeScale ?? 1;
    const mappings = options.mappings.map(
      (mapping) =>
        new KafkaMapping(
          {
            logicalId: `${mapping.consumerGroupId}`,
            uuid: mapping.consumerGroupId,
            fn: new RemoteFunction(options.lambda, mapping.functionName, mapping.functionArn),
            clusterArn: options.clusterArn,
            topics: [mapping.topic],
            consumerGroupId: mapping.consumerGroupId,
            batchSize: mapping.batchSize,
            maxBatchingWindowMs: (mapping.maximumBatchingWindowInSeconds * 1000) / timeScale,
            startingPosition: mapping.startingPosition,
            maxRetryAttempts: mapping.maximumRetryAttempts,
            bisectOnError: mapping.bisectBatchOnFunctionError,
            reportBatchItemFailures: mapping.reportBatchItemFailures,
            timeScale,
            destinationArn: mapping.onFailureDestination,
            onFailure: (record) =>
              options.logs.write(
                'bridge',
                `${mapping.consumerGroupId}: gave up on records (on-failure record for ${mapping.onFailureDestination}): ${JSON.stringify(record)}`,
              ),
          },
          options.bootstrapServers,
          options.logs,
          { retryBaseDelayMs: 200, partitionsConcurrently: 3 },
        ),
    );
    const bridge = new KafkaBridge(mappings);
    const started = await Promise.allSettled(mappings.map((mapping) => mapping.start()));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await bridge.stop();
      throw failed.reason;
    }
    return bridge;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.mappings.map((mapping) => mapping.stop()));
  }
}
