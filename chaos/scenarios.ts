import { ulid } from 'ulid';
import type { AwsClients } from './aws';
import type { ApiClient } from './client';
import { ChaosError } from './errors';
import {
  environmentFault,
  type FaultLedger,
  type LocalFaultEndpoint,
  mappingPause,
  replayMapping,
} from './faults';
import { driveLoad, type LoadResult, orderRequests } from './load';
import type { SystemFunction, SystemMap } from './system';
import type { TopicWatcher } from './topics';
import { pause, poll } from './wait';

/** The sizes of a run: `full` for the published table, `quick` small enough for CI. */
export interface RunParams {
  /** Orders each scenario places. */
  orders: number;
  /** Orders under way at once. */
  concurrency: number;
  /** Seconds each fault lasts. */
  seconds: {
    baseline: number;
    brokersDown: number;
    oneBrokerDown: number;
    pspFaults: number;
    crashes: number;
    replay: number;
    mappingPause: number;
    poison: number;
    notificationsDown: number;
  };
  /** Probability that an invocation's process is killed, in the crash scenario. */
  crashProbability: number;
  /** Poison records per topic. */
  poisonPerTopic: number;
  /** How long the system may take to become quiet after a fault. */
  drainTimeoutSeconds: number;
  /**
   * Kafka client settings of the relays and sweepers during the broker outage (fewer, shorter retries,
   * so that a send gives up within the outage), and their grace period (as deployed when absent):
   * past it the relay hands what it could not publish to the sweeper.
   */
  outageTuning: { sendRetries: string; requestTimeoutMs: string; graceSeconds?: string };
}

export const FULL: RunParams = {
  orders: 40,
  concurrency: 8,
  seconds: {
    baseline: 10,
    brokersDown: 60,
    oneBrokerDown: 30,
    pspFaults: 60,
    crashes: 60,
    replay: 30,
    mappingPause: 30,
    poison: 20,
    notificationsDown: 120,
  },
  crashProbability: 0.05,
  poisonPerTopic: 3,
  drainTimeoutSeconds: 900,
  // A send gives up after about 10 s, well within 60 s; the relay's mapping retries the events from the
  // stream for their deployed grace period (120 s), then the relay hands them to the sweeper.
  outageTuning: { sendRetries: '2', requestTimeoutMs: '3000' },
};

export const QUICK: RunParams = {
  orders: 8,
  concurrency: 4,
  seconds: {
    baseline: 3,
    brokersDown: 18,
    oneBrokerDown: 6,
    pspFaults: 8,
    crashes: 8,
    replay: 5,
    mappingPause: 8,
    poison: 4,
    notificationsDown: 10,
  },
  crashProbability: 0.2,
  poisonPerTopic: 2,
  // A payment consumer killed mid-record holds its event in progress for up to its 120 s timeout
  // before the parked record may be retried: the crash scenario needs that, plus the retry.
  drainTimeoutSeconds: 300,
  outageTuning: { sendRetries: '0', requestTimeoutMs: '1000', graceSeconds: '3' },
};

/** What a scenario works with. */
export interface ScenarioContext {
  clients: AwsClients;
  system: SystemMap;
  api: ApiClient;
  params: RunParams;
  runId: string;
  /** Faults of the scenario's fault window: removed when it ends, before the drain. */
  faults: FaultLedger;
  /** Settings that must hold until the system is quiet again (removed after the drain). */
  tuning: FaultLedger;
  /** The local runtime's fault endpoint; absent on AWS. */
  localFaults?: LocalFaultEndpoint;
  /** The topics, when the tool reaches the Kafka cluster. */
  topics?: TopicWatcher;
  /** Units per product in stock (orders are spread over the products that have some). */
  stock: () => Promise<ReadonlyMap<string, number>>;
  log: (line: string) => void;
}

/** What a scenario reports besides the invariants. */
export interface ScenarioResult {
  load: LoadResult;
  /** Poison records produced: key → services that must dead-letter it. */
  poison: Map<string, string[]>;
  notes: string[];
}

export interface Scenario {
  name: string;
  /** What is done, for the listing and the runbook. */
  description: string;
  /** Needs the local fault endpoint (no AWS API does this). */
  local?: boolean;
  /** Needs to reach the Kafka cluster (the tool produces to or reads from it). */
  kafka?: boolean;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

/** Places the scenario's orders over `seconds`. */
async function load(
  context: ScenarioContext,
  scenario: string,
  seconds: number,
  orders = context.params.orders,
) {
  const stock = await context.stock();
  const requests = orderRequests(
    orders,
    `chaos-${context.runId}-${scenario}`,
    context.api.signIn.customers,
    stock,
    Math.random,
  );
  if (requests.length < orders)
    throw new ChaosError(
      `No order to place: ${stock.size === 0 ? 'no product has a stock item in the inventory table' : 'every product is out of stock'}`,
    );
  const result = await driveLoad(context.api, requests, {
    orders,
    spreadMs: seconds * 1000,
    concurrency: context.params.concurrency,
  });
  context.log(
    `  load: ${result.accepted.length}/${orders} orders accepted${result.retries ? `, ${result.retries} API calls repeated` : ''}`,
  );
  return result;
}

/** Keeps the fault for its duration while the load runs (the load may end first, never later). */
async function underFault(seconds: number, work: Promise<LoadResult>): Promise<LoadResult> {
  const [result] = await Promise.all([work, pause(seconds * 1000)]);
  return result;
}

const result = (loaded: LoadResult, notes: string[] = [], poison = new Map<string, string[]>()) => ({
  load: loaded,
  poison,
  notes,
});

function requireLocal(context: ScenarioContext): LocalFaultEndpoint {
  if (!context.localFaults) throw new ChaosError('This scenario needs the local fault endpoint');
  return context.localFaults;
}

/** The relays and sweepers, once each: every function with a Kafka producer that publishes events. */
const publishers = (system: SystemMap): SystemFunction[] => [
  ...new Map(
    [...system.relays, ...system.withVariable('OUTBOX_GRACE_SECONDS')].map((fn) => [fn.arn, fn]),
  ).values(),
];

/** Functions on the saga's path whose process a crash can kill mid-invocation. */
function crashTargets(system: SystemMap): SystemFunction[] {
  const createOrder = system.functions.filter(
    (fn) =>
      'ORDERS_TABLE_NAME' in fn.variables && 'PRODUCTS_TABLE_NAME' in fn.variables && fn.service === 'orders',
  );
  const targets = [
    ...system.consumers,
    ...publishers(system),
    ...system.withVariable('PSP_BASE_URL'),
    ...createOrder.filter((fn) => !system.consumers.includes(fn)),
  ];
  return [...new Map(targets.map((fn) => [fn.arn, fn])).values()];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'baseline',
    description: 'no fault: the steady state the other scenarios are compared with',
    run: async (context) => result(await load(context, 'baseline', context.params.seconds.baseline)),
  },
  {
    name: 'brokers-down',
    description:
      'all Kafka brokers down under load, longer than the relay client’s retries and the grace period: the relay hands what it cannot publish to the sweeper, which publishes it once the brokers are back',
    local: true,
    run: async (context) => {
      const { seconds, outageTuning } = context.params;
      const local = requireLocal(context);
      for (const fn of publishers(context.system)) {
        const changes: Record<string, string> = {
          KAFKA_SEND_RETRIES: outageTuning.sendRetries,
          KAFKA_REQUEST_TIMEOUT_MS: outageTuning.requestTimeoutMs,
          ...(outageTuning.graceSeconds && 'OUTBOX_GRACE_SECONDS' in fn.variables
            ? { OUTBOX_GRACE_SECONDS: outageTuning.graceSeconds }
            : {}),
        };
        await context.tuning.inject(
          `${fn.name}: ${Object.entries(changes)
            .map(([key, value]) => `${key}=${value}`)
            .join(' ')}`,
          environmentFault(context.clients, fn, changes),
        );
      }
      await context.faults.inject(
        `all brokers down for ${seconds.brokersDown} s`,
        local.fault('kafka-brokers-down', { durationSeconds: seconds.brokersDown + 30 }),
      );
      return result(
        await underFault(seconds.brokersDown, load(context, 'brokers-down', seconds.brokersDown)),
      );
    },
  },
  {
    name: 'one-broker-down',
    description: 'one of three brokers down under load: clients move to the partitions’ new leaders',
    local: true,
    run: async (context) => {
      const { seconds } = context.params;
      await context.faults.inject(
        `broker 1 down for ${seconds.oneBrokerDown} s`,
        requireLocal(context).fault('kafka-brokers-down', {
          brokerIds: [1],
          durationSeconds: seconds.oneBrokerDown + 30,
        }),
      );
      return result(
        await underFault(seconds.oneBrokerDown, load(context, 'one-broker-down', seconds.oneBrokerDown)),
      );
    },
  },
  {
    name: 'psp-faults',
    description: 'the PSP answers 30 % of authorizations with 503 and 10 % too late (mock PSP environment)',
    run: async (context) => {
      const { seconds } = context.params;
      const psp = context.system.withVariable('PSP_FAULT_RATE_5XX');
      if (psp.length === 0) throw new ChaosError('The stage runs no mock PSP (pspMode=live)');
      for (const fn of psp)
        await context.faults.inject(
          `${fn.name}: PSP_FAULT_RATE_5XX=0.3 PSP_FAULT_RATE_TIMEOUT=0.1`,
          environmentFault(context.clients, fn, { PSP_FAULT_RATE_5XX: '0.3', PSP_FAULT_RATE_TIMEOUT: '0.1' }),
        );
      return result(await underFault(seconds.pspFaults, load(context, 'psp-faults', seconds.pspFaults)));
    },
  },
  {
    name: 'crashes',
    description:
      'a share of the invocations of every function on the saga’s path killed (SIGKILL) mid-invocation or right after its work',
    local: true,
    run: async (context) => {
      const { seconds, crashProbability } = context.params;
      const local = requireLocal(context);
      const moments = [20, 100, 500, 60_000];
      const targets = crashTargets(context.system);
      for (const [index, fn] of targets.entries()) {
        const afterMs = moments[index % moments.length] as number;
        await context.faults.inject(
          `${fn.name}: ${crashProbability * 100} % of invocations killed after ${afterMs === 60_000 ? 'their work' : `${afterMs} ms`}`,
          local.fault('lambda-crash', {
            functionName: fn.name,
            probability: crashProbability,
            afterMs,
            durationSeconds: seconds.crashes + 30,
          }),
        );
      }
      return result(await underFault(seconds.crashes, load(context, 'crashes', seconds.crashes)), [
        `${targets.length} functions`,
      ]);
    },
  },
  {
    name: 'replay',
    description:
      'every consumer group replayed from the start (a second mapping with a new consumer group at TRIM_HORIZON): everything is delivered again',
    run: async (context) => {
      const { seconds } = context.params;
      const half = Math.ceil(context.params.orders / 2);
      const before = await load(context, 'replay', 1, half);
      const replayId = ulid().slice(-8).toLowerCase();
      const replays: { consumerGroupId: string; topic: string }[] = [];
      for (const mapping of context.system.kafkaMappings) {
        await context.faults.inject(
          `replay of ${mapping.consumerGroupId} from the start`,
          replayMapping(context.clients, mapping, replayId, ({ consumerGroupId }) =>
            replays.push({ consumerGroupId, topic: mapping.topic }),
          ),
        );
      }
      const during = load(context, 'replay-during', seconds.replay, context.params.orders - half);
      const topics = context.topics;
      if (topics) {
        await poll(
          async () => {
            for (const replay of replays)
              if ((await topics.lag(replay.consumerGroupId, replay.topic)) > 0) return false;
            return true;
          },
          {
            timeoutMs: context.params.drainTimeoutSeconds * 1000,
            intervalMs: 2_000,
            description: 'the replayed consumer groups reading to the end of their topics',
          },
        );
      } else {
        await pause(seconds.replay * 1000);
      }
      const after = await during;
      return result(
        {
          accepted: [...before.accepted, ...after.accepted],
          failed: [...before.failed, ...after.failed],
          retries: before.retries + after.retries,
        },
        [`${replays.length} consumer groups replayed${topics ? ' to the end' : ` for ${seconds.replay} s`}`],
      );
    },
  },
  {
    name: 'mapping-pause',
    description:
      'the order saga’s inventory.events mapping paused under load: payments overtake their reservations (reordering across topics)',
    run: async (context) => {
      const { seconds } = context.params;
      const saga = context.system.consumer('orders');
      const mapping = context.system.kafkaMappings.find(
        (candidate) => candidate.functionArn === saga.arn && candidate.topic === 'inventory.events',
      );
      if (!mapping) throw new ChaosError('The order saga has no mapping of inventory.events');
      await context.faults.inject(
        `${mapping.consumerGroupId} paused for ${seconds.mappingPause} s`,
        mappingPause(context.clients, mapping),
      );
      return result(
        await underFault(seconds.mappingPause, load(context, 'mapping-pause', seconds.mappingPause)),
      );
    },
  },
  {
    name: 'poison',
    description:
      'records that are not events (not JSON, no envelope, a schema violation) on every topic, under load: dead-lettered by each consumer, partitions go on',
    kafka: true,
    run: async (context) => {
      const topics = context.topics;
      if (!topics)
        throw new ChaosError('This scenario produces to the topics: the tool must reach the cluster');
      const poison = new Map<string, string[]>();
      const values = (key: string) => [
        '{ this is not json',
        JSON.stringify({ hello: 'world' }),
        JSON.stringify({
          eventId: ulid(),
          eventType: 'OrderCreated',
          eventVersion: 1,
          occurredAt: new Date().toISOString(),
          source: 'chaos',
          aggregateId: key,
          correlationId: key,
          causationId: null,
          payload: { orderId: key, items: 'none' },
        }),
      ];
      for (const topic of topics.topics) {
        const records = Array.from({ length: context.params.poisonPerTopic }, (_, i) => {
          const key = `chaos-${context.runId}-poison-${topic}-${i}`;
          poison.set(key, context.system.consumersOf(topic));
          const options = values(key);
          return { key, value: options[i % options.length] as string };
        });
        await topics.produce(topic, records);
      }
      context.log(`  produced ${poison.size} poison records on ${topics.topics.length} topics`);
      return result(
        await load(context, 'poison', context.params.seconds.poison),
        [`${poison.size} poison records`],
        poison,
      );
    },
  },
  {
    name: 'notifications-down',
    description: 'the notification provider fails every call (notification consumer environment)',
    run: async (context) => {
      const { seconds } = context.params;
      const consumers = context.system.withVariable('NOTIFY_FAILURE_RATE');
      if (consumers.length === 0) throw new ChaosError('No function has NOTIFY_FAILURE_RATE');
      for (const fn of consumers)
        await context.faults.inject(
          `${fn.name}: NOTIFY_FAILURE_RATE=1 for ${seconds.notificationsDown} s`,
          environmentFault(context.clients, fn, { NOTIFY_FAILURE_RATE: '1' }),
        );
      return result(
        await underFault(
          seconds.notificationsDown,
          load(context, 'notifications-down', seconds.notificationsDown),
        ),
      );
    },
  },
];

/** The scenarios a target can run: all locally; on AWS those with an AWS API (and Kafka when reachable). */
export function scenariosFor(
  target: 'local' | 'aws',
  options: { kafka: boolean; names?: readonly string[] },
): { run: Scenario[]; skipped: { scenario: Scenario; reason: string }[] } {
  const unknown = (options.names ?? []).filter(
    (name) => !SCENARIOS.some((scenario) => scenario.name === name),
  );
  if (unknown.length > 0)
    throw new ChaosError(
      `Unknown scenario(s) ${unknown.join(', ')}; one of ${SCENARIOS.map((scenario) => scenario.name).join(', ')}`,
    );
  const chosen = SCENARIOS.filter(
    (scenario) => !options.names?.length || options.names.includes(scenario.name),
  );
  const run: Scenario[] = [];
  const skipped: { scenario: Scenario; reason: string }[] = [];
  for (const scenario of chosen) {
    if (scenario.local && target === 'aws')
      skipped.push({ scenario, reason: 'AWS has no API for this fault (local runtime only)' });
    else if (scenario.kafka && !options.kafka)
      skipped.push({ scenario, reason: 'the tool does not reach the Kafka cluster' });
    else run.push(scenario);
  }
  return { run, skipped };
}
