import * as z from 'zod';
import { BRIDGED_MAPPING_OUTPUT_PREFIX, type BridgedKafkaMapping } from '#lib/constructs/kafka-consumer';

export class BridgeConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BridgeConfigError';
  }
}

const MappingSchema = z.object({
  functionName: z.string().min(1),
  functionArn: z.string().min(1),
  topic: z.string().min(1),
  consumerGroupId: z.string().min(1).max(200),
  startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']),
  batchSize: z.number().int().min(1).max(10_000),
  maximumBatchingWindowInSeconds: z.number().min(0).max(300),
  maximumRetryAttempts: z.number().int().min(-1),
  bisectBatchOnFunctionError: z.boolean(),
  reportBatchItemFailures: z.boolean(),
  onFailureDestination: z.string(),
}) satisfies z.ZodType<BridgedKafkaMapping>;

/**
 * The mappings the stacks exported (`kafkaEventSources=bridge`), from the outputs of a deployment as
 * `cdk deploy --outputs-file` writes them (`{ stackName: { outputKey: value } }`): every output whose
 * key starts with `KafkaMapping`, its value the mapping's settings as JSON.
 */
export function bridgedMappingsOf(outputs: unknown): BridgedKafkaMapping[] {
  if (outputs === null || typeof outputs !== 'object')
    throw new BridgeConfigError('The outputs are not an object of stacks');
  const mappings: BridgedKafkaMapping[] = [];
  for (const [stack, values] of Object.entries(outputs as Record<string, unknown>)) {
    for (const [key, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
      if (!key.startsWith(BRIDGED_MAPPING_OUTPUT_PREFIX)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(value));
      } catch (error) {
        throw new BridgeConfigError(`${stack}.${key} is not JSON`, { cause: error });
      }
      const result = MappingSchema.safeParse(parsed);
      if (!result.success)
        throw new BridgeConfigError(`${stack}.${key} is not a mapping: ${result.error.message}`, {
          cause: result.error,
        });
      mappings.push(result.data);
    }
  }
  return mappings;
}
