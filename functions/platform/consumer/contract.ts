import * as z from 'zod';
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

/** The table the consumer framework writes for every per-record consumer. */
export const CONSUMER_DEAD_LETTER_TABLES = {
  /**
   * The shared dead-letter table: granted only new dead letters and the service's own attempt
   * counters and parked records (key-scoped, see `grantDeadLetterWrites` in lib/constructs/kafka-consumer.ts).
   */
  DEAD_LETTER_TABLE_NAME: 'named',
} as const satisfies TableSpec;

/** The table of a consumer whose idempotency is a Powertools record per event (`idempotency: 'powertools'`). */
export const CONSUMER_IDEMPOTENCY_TABLES = {
  /** The consumer's own Powertools idempotency table (`id`, TTL `expiration`). */
  IDEMPOTENCY_TABLE_NAME: 'readWrite',
} as const satisfies TableSpec;

/** Every table the consumer framework may read: names no consumer may declare as its own. */
export const CONSUMER_TABLES = {
  ...CONSUMER_IDEMPOTENCY_TABLES,
  ...CONSUMER_DEAD_LETTER_TABLES,
} as const satisfies TableSpec;

/**
 * How a consumer keeps one event from taking effect twice when it is delivered again:
 * - `powertools` (the default): the handler runs inside a Powertools idempotency record keyed on the
 *   eventId, in the consumer's own `IDEMPOTENCY_TABLE_NAME` (two writes per event: the in-progress put
 *   and the completion); a redelivered event is skipped, one in progress elsewhere is parked;
 * - `handler`: the handler's own conditional business write is the idempotency, and no record is kept
 *   (no table, no writes): every delivery runs the handler, which must find an effect already applied
 *   (or a state it is past) and return without writing. For a handler whose write is one conditional
 *   update of the state it read, so that a concurrent delivery loses the condition and decides again.
 */
export type ConsumerIdempotency = 'powertools' | 'handler';

/** The framework's tables of a consumer with this idempotency. */
export type ConsumerTablesOf<Idempotency extends ConsumerIdempotency> = Idempotency extends 'handler'
  ? typeof CONSUMER_DEAD_LETTER_TABLES
  : typeof CONSUMER_TABLES;

/** Settings of the consumer framework. */
export const CONSUMER_SETTINGS = {
  CONSUMER_MAX_ATTEMPTS: setting
    .int(3, { min: 1 })
    .describe('unknown handler failures of one event before it becomes a dead letter'),
};

/**
 * A Kafka consumer's contract: the consumer framework's tables, settings and metrics merged with the
 * function's own. Its event source mappings read the topics of `consumes`. Its `idempotency` decides
 * whether it has an `IDEMPOTENCY_TABLE_NAME` (`powertools`, the default) or not (`handler`).
 */
export function defineConsumer<
  const Consumes extends readonly [EventType, ...EventType[]],
  const Tables extends TableSpec,
  Shape extends z.ZodRawShape = Record<never, never>,
  const Metrics extends MetricSpec = Record<never, never>,
  const Idempotency extends ConsumerIdempotency = 'powertools',
>(contract: {
  name: string;
  service: ServiceName;
  entry: string;
  description: string;
  consumes: Consumes;
  tables: Tables;
  settings?: z.ZodObject<Shape>;
  metrics: Metrics;
  /** How a redelivered event is kept from taking effect twice. @default 'powertools' */
  idempotency?: Idempotency;
}): FunctionContract<
  Tables & ConsumerTablesOf<Idempotency>,
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
    tables: {
      ...(contract.idempotency === 'handler' ? CONSUMER_DEAD_LETTER_TABLES : CONSUMER_TABLES),
      ...contract.tables,
    } as Tables & ConsumerTablesOf<Idempotency>,
    settings: z.object({ ...CONSUMER_SETTINGS, ...own }),
    metrics: { ...CONSUMER_METRICS, ...contract.metrics },
  });
}
