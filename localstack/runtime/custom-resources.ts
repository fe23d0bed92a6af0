import { randomUUID } from 'node:crypto';
import type { KafkaMock } from '../engines';
import { LocalRuntimeError } from './errors';
import type { LocalFunctions } from './functions';
import type { Resolver } from './resolve';
import type { StackTemplate } from './template';

/** The project's custom resource type for Kafka topics; created directly in the mock cluster. */
const KAFKA_TOPICS = 'Custom::KafkaTopics';

/** Stringifies scalars the way CloudFormation passes custom resource properties. */
export function cfnProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cfnProperties);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cfnProperties(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/**
 * Creates the topics of every `Custom::KafkaTopics` resource in the mock cluster (its admin API does
 * not support CreateTopics, so the resource's own function cannot do it).
 */
export async function createKafkaTopics(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  kafka: KafkaMock,
): Promise<void> {
  for (const stack of stacks) {
    for (const resource of Object.values(stack.resources)) {
      if (resource.Type !== KAFKA_TOPICS) continue;
      const topics = resolver.resolve(stack, resource.Properties?.Topics ?? []) as {
        name: string;
        partitions: number | string;
      }[];
      for (const topic of topics) await kafka.createTopic(topic.name, Number(topic.partitions));
    }
  }
}

/**
 * Runs custom resources backed by the CDK Provider framework by invoking their onEvent function
 * directly with a Create request (the framework's own function, which would call back to
 * CloudFormation, is skipped). Kafka topics are created by {@link createKafkaTopics} instead.
 * Resources of CDK's own providers that call AWS control-plane APIs (default security group
 * restrictions and the like) have no local meaning and are skipped.
 */
export async function runCustomResources(
  stacks: readonly StackTemplate[],
  resolver: Resolver,
  functions: LocalFunctions,
): Promise<void> {
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      if (!(resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource'))
        continue;
      if (resource.Type === KAFKA_TOPICS) continue;
      const provider = functions.get(resolver.resolve(stack, resource.Properties?.ServiceToken));
      const onEvent = functions.get(provider?.definition.environment.USER_ON_EVENT_FUNCTION_ARN);
      if (!onEvent) continue;
      const { ServiceToken: _token, ...properties } = (resource.Properties ?? {}) as Record<string, unknown>;
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
          ...(cfnProperties(resolver.resolve(stack, properties)) as object),
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
