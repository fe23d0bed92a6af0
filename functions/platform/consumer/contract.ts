import { z } from 'zod';
import type { EventType } from '#events';
import {
  ContractError,
  defineFunction,
  type FunctionContract,
  type MetricSpec,
  type ServiceName,
  setting,
  type TableSpec,
  topicsOf,
} from '../contract';

/** Metrics of the consumer framework, under the consuming service's dimension. */
export const CONSUMER_METRICS = {
  EventsConsumed: 'Count',
  EventsDeadLettered: 'Count',
  EventsSkippedDuplicate: 'Count',
  EventsParked: 'Count',
  ParkedDue: 'Count',
} as const satisfies MetricSpec;

/** Tables the consumer framework reads and writes for every per-record idempotent consumer. */
export const CONSUMER_TABLES = {
  /** The consumer's own Powertools idempotency table (`id`, TTL `expiration`). */
  IDEMPOTENCY_TABLE_NAME: 'readWrite',
  /**
   * The shared dead-letter table: granted only new dead letters and the service's own attempt
   * counters (key-scoped, see `grantDeadLetterWrites` in lib/constructs/kafka-consumer.ts).
   */
  DEAD_LETTER_TABLE_NAME: 'named',
} as const satisfies TableSpec;

/** Settings of the consumer framework. */
export const CONSUMER_SETTINGS = {
  CONSUMER_MAX_ATTEMPTS: setting
    .int(3, { min: 1 })
    .describe('unknown handler failures of one event before it becomes a dead letter'),
};

/**
 * A Kafka consumer's contract: the consumer framework's tables, settings and metrics merged with the
 * function's own. Its event source mappings read the topics of `consumes`.
 */
export function defineConsumer<
  const Consumes extends readonly [EventType, ...EventType[]],
  const Tables extends TableSpec,
  Shape extends z.ZodRawShape = Record<never, never>,
  const Metrics extends MetricSpec = Record<never, never>,
>(contract: {
  name: string;
  service: ServiceName;
  entry: string;
  description: string;
  consumes: Consumes;
  tables: Tables;
  settings?: z.ZodObject<Shape>;
  metrics: Metrics;
}): FunctionContract<
  Tables & typeof CONSUMER_TABLES,
  Shape & typeof CONSUMER_SETTINGS,
  Metrics & typeof CONSUMER_METRICS,
  Consumes
> {
  const own = contract.settings?.shape ?? ({} as Shape);
  const taken = [
    ...Object.keys(contract.tables).filter((name) => name in CONSUMER_TABLES),
    ...Object.keys(own).filter((name) => name in CONSUMER_SETTINGS),
  ];
  if (taken.length > 0) {
    throw new ContractError(`${contract.name}: ${taken.join(', ')} belong to the consumer framework`);
  }
  return defineFunction({
    name: contract.name,
    service: contract.service,
    entry: contract.entry,
    description: contract.description,
    trigger: `MSK: ${topicsOf(contract).join(', ')} (${contract.consumes.join(', ')})`,
    consumes: contract.consumes,
    tables: { ...CONSUMER_TABLES, ...contract.tables },
    settings: z.object({ ...CONSUMER_SETTINGS, ...own }),
    metrics: { ...CONSUMER_METRICS, ...contract.metrics },
  });
}
