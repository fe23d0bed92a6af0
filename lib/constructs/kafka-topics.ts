import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { KafkaTopicsFn } from '#platform/outbox/contract';
import type { TopicSpec } from '../topics';
import { HandlerProvider } from './handler-provider';
import type { KafkaConnection } from './kafka-connection';
import { ServiceFunction } from './service-function';

export interface KafkaTopicsProps {
  readonly kafka: KafkaConnection;
  readonly topics: readonly TopicSpec[];
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Creates the Kafka topics through the cluster's admin API: a `Custom::KafkaTopics` resource with the
 * property `Topics: [{ name, partitions }]`, handled by `functions/platform/handlers/kafka-topics.ts`.
 * Changing a partition count updates the resource (partitions only grow); deleting it keeps the topics.
 */
export class KafkaTopics extends Construct {
  readonly handler: ServiceFunction<typeof KafkaTopicsFn>;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    this.handler = new ServiceFunction(this, 'Handler', {
      contract: KafkaTopicsFn,
      tables: {},
      description: 'Creates the Kafka topics (Custom::KafkaTopics onEvent)',
      timeout: Duration.minutes(2),
      logRemovalPolicy: props.logRemovalPolicy,
      kafka: {
        connection: props.kafka,
        access: 'admin',
        clientId: 'order-saga-topic-admin',
        topics: props.topics.map((topic) => topic.name),
      },
    });
    const provider = new HandlerProvider(this, 'Provider', {
      onEvent: this.handler,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KafkaTopics',
      properties: { Topics: props.topics.map(({ name, partitions }) => ({ name, partitions })) },
    });
  }
}
