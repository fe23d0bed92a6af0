import * as z from 'zod';
import { type EventType, type TopicName, topicFor } from '#events';
import { PermanentError } from './errors';

/**
 * Function contracts: one typed object per Lambda function, read by both sides.
 *
 * - The CDK app (`lib/`) builds the function from it: the entry file, the service name
 *   (POWERTOOLS_SERVICE_NAME and the metrics dimension), the tables it binds with their access level,
 *   the settings it renders into the environment (defaults included), the topics its event source
 *   mappings read (derived from the event types it handles).
 * - The handler parses `process.env` with it once, at module load (`readEnv`), emits only the metrics
 *   it declares (`metricsOf` in `./metrics`), and must handle exactly the event types it consumes.
 * - The dashboards, alarms, infrastructure tests and the generated reference in docs/ use its names.
 *
 * A contract module imports nothing but zod and the event contract, so both a handler bundle and the
 * CDK app can load it.
 */

/** The platform's services: one name each, used for functions, metrics, consumer groups and stacks. */
export const SERVICE_NAMES = [
  'orders',
  'customers',
  'identity',
  'catalog',
  'inventory',
  'payments',
  'notifications',
  'shipping',
  'analytics',
  'admin',
  'mock-psp',
  'messaging',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * How a function uses a table (the CDK side grants exactly this):
 * - `read`: item reads and DescribeTable;
 * - `readWrite`: `read` plus item writes (also what transactions need);
 * - `streamRead`: the table's stream only;
 * - `named`: only the name; the construct that builds the function grants narrower actions itself
 *   (e.g. the sweeper's query of one index).
 */
export type TableAccess = 'read' | 'readWrite' | 'streamRead' | 'named';

/** Environment variable (holding a table name) → access. */
export type TableSpec = Readonly<Record<string, TableAccess>>;

export type MetricUnitName = 'Count' | 'Milliseconds';

/** Metric name → unit; every metric a function emits is declared in its contract. */
export type MetricSpec = Readonly<Record<string, MetricUnitName>>;

export interface FunctionContract<
  Tables extends TableSpec = TableSpec,
  Shape extends z.ZodRawShape = z.ZodRawShape,
  Metrics extends MetricSpec = MetricSpec,
  Consumes extends readonly EventType[] = readonly EventType[],
> {
  /** Short name, unique within the service: the function's label on dashboards. */
  readonly name: string;
  /**
   * The service the function belongs to. `undefined` for the platform's shared functions (the outbox
   * relay and sweeper), which are deployed once per owning service and take its name there.
   */
  readonly service: ServiceName | undefined;
  /** Handler file relative to `functions/`; it exports `handler`. */
  readonly entry: string;
  /** What invokes it (a route, a topic, a schedule, a workflow), for the reference in docs/. */
  readonly trigger: string;
  readonly description: string;
  /** Tables it reads or writes, by the environment variable that carries the table's name. */
  readonly tables: Tables;
  /** Every other environment variable it reads, with its validation and default. */
  readonly settings: z.ZodObject<Shape>;
  readonly metrics: Metrics;
  /** Event types it handles (Kafka consumers); its event source mappings read their topics. */
  readonly consumes: Consumes;
}

/** Any contract, for code that handles contracts generically. */
// biome-ignore lint/suspicious/noExplicitAny: the shape parameter is contravariant in places; any keeps every contract assignable.
export type AnyContract = FunctionContract<TableSpec, any, MetricSpec, readonly EventType[]>;

const FUNCTION_NAME = /^[a-z][a-z0-9-]*$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** The contract failed its own checks; it is a programming error, found when the module loads. */
export class ContractError extends PermanentError {
  readonly code = 'INVALID_CONTRACT';
}

/** Declares a function's contract, checking names and that no variable is declared twice. */
export function defineFunction<
  const Tables extends TableSpec,
  Shape extends z.ZodRawShape = Record<never, never>,
  const Metrics extends MetricSpec = Record<never, never>,
  const Consumes extends readonly EventType[] = readonly [],
>(contract: {
  name: string;
  service: ServiceName | undefined;
  entry: string;
  trigger: string;
  description: string;
  tables: Tables;
  settings?: z.ZodObject<Shape>;
  metrics: Metrics;
  consumes?: Consumes;
}): FunctionContract<Tables, Shape, Metrics, Consumes> {
  const settings = contract.settings ?? (z.object({}) as unknown as z.ZodObject<Shape>);
  if (!FUNCTION_NAME.test(contract.name)) {
    throw new ContractError(`Function name "${contract.name}" must be kebab-case`);
  }
  if (!contract.entry.endsWith('.ts')) {
    throw new ContractError(`${contract.name}: entry "${contract.entry}" must be a .ts file`);
  }
  const names = [...Object.keys(contract.tables), ...Object.keys(settings.shape)];
  for (const name of names) {
    if (!ENV_NAME.test(name)) throw new ContractError(`${contract.name}: "${name}" is not UPPER_SNAKE_CASE`);
  }
  const twice = names.filter((name, index) => names.indexOf(name) !== index);
  if (twice.length > 0) throw new ContractError(`${contract.name}: ${twice.join(', ')} declared twice`);
  return {
    name: contract.name,
    service: contract.service,
    entry: contract.entry,
    trigger: contract.trigger,
    description: contract.description,
    tables: contract.tables,
    settings,
    metrics: contract.metrics,
    consumes: contract.consumes ?? ([] as unknown as Consumes),
  };
}

/** The topics a consumer's event source mappings read: those its event types are published to. */
export function topicsOf(contract: Pick<AnyContract, 'consumes'>): TopicName[] {
  return [...new Set(contract.consumes.map(topicFor))].sort();
}

/** Every environment variable a contract declares (tables first), sorted. */
export function envNamesOf(contract: Pick<AnyContract, 'tables' | 'settings'>): string[] {
  return [...Object.keys(contract.tables), ...Object.keys(contract.settings.shape)].sort();
}

/** Settings helpers: environment values are text; these parse them, with a default where one fits. */
export const setting = {
  /** A non-negative integer. */
  int: (defaultValue: number, options: { min?: number; max?: number } = {}) =>
    z.coerce
      .number()
      .int()
      .min(options.min ?? 0)
      .max(options.max ?? Number.MAX_SAFE_INTEGER)
      .default(defaultValue),
  /** A probability from 0 to 1. */
  rate: (defaultValue = 0) => z.coerce.number().min(0).max(1).default(defaultValue),
  /** `true` or `false`, in any case. */
  bool: (defaultValue: boolean) =>
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', 'false']))
      .transform((value) => value === 'true')
      .default(defaultValue),
  /** Required text (a resource name or ARN the CDK app supplies). */
  text: () => z.string().trim().min(1),
  /** Text with a default. */
  textOr: (defaultValue: string) => z.string().trim().default(defaultValue),
  /** One of a fixed set. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) =>
    z
      .string()
      .trim()
      .pipe(z.enum(values))
      .default(defaultValue as never),
  /** An absolute http(s) URL. */
  url: () =>
    z
      .string()
      .trim()
      .refine((value) => /^https?:\/\/[^\s/]+/.test(value), 'must be an absolute http(s) URL'),
} as const;
