import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Kafka } from 'kafkajs';
import * as z from 'zod';
import { readEnv } from '../env';
import { PermanentError } from '../errors';
import { KafkaTopicsFn } from '../outbox/contract';
import { kafkaClientConfig, kafkaSettingsOf, resolveBootstrapBrokers } from '../outbox/kafka-producer';
import { logger } from '../powertools';

const settings = kafkaSettingsOf(readEnv(KafkaTopicsFn));

const TopicsSchema = z
  .array(z.object({ name: z.string().min(1), partitions: z.coerce.number().int().min(1) }))
  .min(1);

/** The topics could not be created; CloudFormation reports the failure and rolls back. */
export class TopicProvisioningError extends PermanentError {
  readonly code = 'TOPIC_PROVISIONING_FAILED';
}

/**
 * Creates the project's topics (and grows their partition count) on create and update. Deleting the
 * resource keeps the topics and their data.
 */
export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const physicalResourceId = 'kafka-topics';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalResourceId };
  const parsed = TopicsSchema.safeParse(event.ResourceProperties.Topics);
  if (!parsed.success) throw new TopicProvisioningError('Invalid Topics property', { cause: parsed.error });

  const admin = new Kafka(kafkaClientConfig(settings, await resolveBootstrapBrokers(settings))).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = parsed.data.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic: topic.name, numPartitions: topic.partitions })),
      });
    }
    const present = parsed.data.filter((topic) => existing.has(topic.name));
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((topic) => topic.name) });
      const grow = present.filter((topic) => {
        const current = metadata.topics.find((t) => t.name === topic.name)?.partitions.length ?? 0;
        return current < topic.partitions;
      });
      if (grow.length > 0) {
        await admin.createPartitions({
          topicPartitions: grow.map((t) => ({ topic: t.name, count: t.partitions })),
        });
      }
    }
    logger.info('kafka topics provisioned', { created: missing.map((t) => t.name) });
    return { PhysicalResourceId: physicalResourceId, Data: { Created: missing.length } };
  } catch (error) {
    throw new TopicProvisioningError('Could not provision Kafka topics', { cause: error });
  } finally {
    await admin.disconnect();
  }
};
