/**
 * Kafka topics of the platform, one per bounded context, with their partition counts. The names are
 * the ones the event contract (`events/topics.ts`) publishes to; a test keeps the two in step.
 */
export const PROJECT_TOPICS = [
  { name: 'orders.events', partitions: 6 },
  { name: 'inventory.events', partitions: 6 },
  { name: 'payments.events', partitions: 6 },
  { name: 'notifications.events', partitions: 6 },
] as const satisfies readonly TopicSpec[];

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

export const PROJECT_TOPIC_NAMES: readonly string[] = PROJECT_TOPICS.map((topic) => topic.name);
