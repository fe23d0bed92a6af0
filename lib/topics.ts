import { ALL_TOPICS } from '../events/topics';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

/** Partitions per topic: the ceiling of consumer parallelism per consumer group. */
export const TOPIC_PARTITIONS = 6;

/** Kafka topics of the platform, one per bounded context, as named by the event contract. */
export const PROJECT_TOPICS: readonly TopicSpec[] = ALL_TOPICS.map((name) => ({
  name,
  partitions: TOPIC_PARTITIONS,
}));

export const PROJECT_TOPIC_NAMES: readonly string[] = [...ALL_TOPICS];
