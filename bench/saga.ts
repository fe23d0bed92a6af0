/**
 * `npm run bench -- --orders N --concurrency C [--pending 0.05] [--one-at-a-time] [--json file]`: drives
 * N orders (tok_ok, one line each; a share of them tok_pending with `--pending`) through the whole saga
 * on a fresh local stack and waits for every terminal state. `--one-at-a-time` places each order only
 * when the one before it is settled, which measures the latency of a single order (the first one,
 * right after the stack said it is ready, is reported on its own). Prints throughput to terminal state, create-order and
 * saga-completion percentiles, and per-order DynamoDB item writes, Lambda invocations and Kafka
 * messages. It also measures the raw PutItem rate DynamoDB Local sustains here (the local ceiling) and
 * how close the saga gets to it: raw writes/s ÷ writes per order.
 *
 * Then the per-hop latency by topic (`bench/hops.ts`): commit → publish (an event's `occurredAt` to its
 * Kafka timestamp) and publish → consume (that timestamp to the `occurredAt` of the reaction it caused).
 *
 * Then the bill of one order (`bench/profile.ts`): DynamoDB write and read units by purpose and by table,
 * invocations and mean duration per function, Kafka messages and bytes per topic, Step Functions
 * executions and transitions, log bytes. `--json <file>` writes the same numbers with the run's metadata
 * (the `BenchReport` shape); `npm run cost -- --profile <file>` prices them.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { localDynamoClientConfig } from '../localstack/engines';
import { CpuMeter, cpuPerOrder, formatCpu } from './cpu';
import {
  LAPTOP_STAND,
  ms,
  type OrderSpec,
  percentile,
  placeOrders,
  progressBar,
  seconds,
  type TrackedOrder,
} from './drive';
import { formatHops, HopRecorder } from './hops';
import { startLocalStack } from './local-stack';
import {
  type BenchReport,
  formatPerOrder,
  perOrderBetween,
  readCounters,
  shortFunctionName,
} from './profile';
import { runtimeInfoOf, signInAs } from './sign-in';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '10' },
    'time-scale': { type: 'string', default: '20' },
    pending: { type: 'string', default: '0' },
    'one-at-a-time': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const total = Number(values.orders);
const concurrency = Number(values.concurrency);
const pendingShare = Number(values.pending);
const oneAtATime = values['one-at-a-time'] ?? false;
if (!(pendingShare >= 0 && pendingShare <= 1)) throw new Error('--pending must be a share from 0 to 1');
const TOPICS = ['orders.events', 'inventory.events', 'payments.events', 'notifications.events'];

const runtime = await startLocalStack(Number(values['time-scale']));
const cpuMeter = new CpuMeter(runtime);
const dynamo = new DynamoDBClient(localDynamoClientConfig(runtime.dynamoEndpoint));
const admin = new Kafka({ brokers: runtime.kafkaBootstrap.split(','), logLevel: logLevel.NOTHING }).admin();

async function kafkaMessages(): Promise<number> {
  let sum = 0;
  for (const topic of TOPICS) {
    for (const partition of await admin.fetchTopicOffsets(topic))
      sum += Number(partition.high) - Number(partition.low);
  }
  return sum;
}

/** Raw PutItem rate on a fresh stream-enabled table, `concurrency` writers for `durationMs`. */
async function rawWriteRate(durationMs: number): Promise<number> {
  const TableName = `bench-raw-${Date.now()}`;
  await dynamo.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  let writes = 0;
  const end = Date.now() + durationMs;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; Date.now() < end; i++) {
        await dynamo.send(
          new PutItemCommand({
            TableName,
            Item: { pk: { S: `${worker}-${i}` }, payload: { S: 'x'.repeat(400) } },
          }),
        );
        writes++;
      }
    }),
  );
  const rate = writes / ((Date.now() - started) / 1000);
  await dynamo.send(new DeleteTableCommand({ TableName }));
  return rate;
}

const invocations = () => [...runtime.functions.values()].reduce((sum, fn) => sum + fn.invocations, 0);
const invocationsByFunction = () =>
  Object.fromEntries(
    [...runtime.functions.values()].map((fn) => [shortFunctionName(fn.definition.name), fn.invocations]),
  );

/** Messages and bytes (key, value, headers) seen on each topic since the observer joined. */
const seenOnTopics: Record<string, { messages: number; bytes: number }> = Object.fromEntries(
  TOPICS.map((topic) => [topic, { messages: 0, bytes: 0 }]),
);
/** Every event seen on the topics, for the per-hop latency (`bench/hops.ts`). */
const hops = new HopRecorder();
/** Terminal events (OrderConfirmed / OrderCancelled) as they reach orders.events, by orderId. */
const settledAt = new Map<string, { at: number; status: 'CONFIRMED' | 'CANCELLED' }>();
const observer = new Kafka({
  brokers: runtime.kafkaBootstrap.split(','),
  logLevel: logLevel.NOTHING,
}).consumer({
  groupId: `bench-observer-${Date.now()}`,
  sessionTimeout: 6_000,
  heartbeatInterval: 1_000,
  maxWaitTimeInMs: 100,
});
await observer.connect();
await observer.subscribe({ topics: TOPICS, fromBeginning: false });
let joined = false;
observer.on(observer.events.GROUP_JOIN, () => {
  joined = true;
});
await observer.run({
  eachMessage: async ({ topic, message }) => {
    const seen = seenOnTopics[topic];
    if (seen) {
      seen.messages += 1;
      seen.bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
      for (const [name, value] of Object.entries(message.headers ?? {}))
        seen.bytes +=
          Buffer.byteLength(name) + (Buffer.isBuffer(value) ? value.length : String(value).length);
    }
    hops.observe(topic, message);
    if (topic !== 'orders.events') return;
    const type = message.headers?.eventType?.toString();
    if (type !== 'OrderConfirmed' && type !== 'OrderCancelled') return;
    const orderId = message.key?.toString() ?? '';
    if (!settledAt.has(orderId))
      settledAt.set(orderId, {
        at: Date.now(),
        status: type === 'OrderConfirmed' ? 'CONFIRMED' : 'CANCELLED',
      });
  },
});
for (const deadline = Date.now() + 30_000; !joined && Date.now() < deadline; )
  await new Promise((resolve) => setTimeout(resolve, 50));

/** Places each order when the one before it has settled (its terminal event reached orders.events). */
async function placeOneAtATime(idToken: string, specs: OrderSpec[], runId: string): Promise<TrackedOrder[]> {
  const placed: TrackedOrder[] = [];
  for (const [index, spec] of specs.entries()) {
    const [order] = await placeOrders(runtime.apiUrl, idToken, [spec], 1, `${runId}-${index}`);
    if (!order) break;
    placed.push(order);
    const deadline = Date.now() + 60_000;
    while (order.orderId && !settledAt.has(order.orderId) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return placed;
}

try {
  await admin.connect();
  // Stock lives in the inventory service's table, one STOCK#<productId> item per product.
  const inventoryTable = [...runtime.tables.values()].find((table) =>
    table.name.includes('InventoryTable'),
  )?.name;
  if (!inventoryTable) throw new Error('No inventory table in the template');
  await dynamo.send(
    new UpdateItemCommand({
      TableName: inventoryTable,
      Key: { pk: { S: `STOCK#${LAPTOP_STAND}` }, sk: { S: 'STOCK' } },
      UpdateExpression: 'SET stock = :stock',
      ExpressionAttributeValues: { ':stock': { N: String(total * 2) } },
    }),
  );

  console.log('Measuring the raw DynamoDB Local write rate (5 s) ...');
  const rawRate = await rawWriteRate(5_000);

  const writesBefore = runtime.meter?.snapshot().itemWrites ?? 0;
  const usageBefore = runtime.meter?.snapshot();
  const countersBefore = readCounters(runtime, seenOnTopics);
  const invocationsBefore = invocations();
  const perFunctionBefore = invocationsByFunction();
  const messagesBefore = await kafkaMessages();
  const customerToken = await signInAs(runtimeInfoOf(runtime), 'customer');
  const cpuBefore = cpuMeter.sample();
  // Pending orders are spread evenly over the run (every 1/share-th order).
  const pendingEvery = pendingShare > 0 ? 1 / pendingShare : Number.POSITIVE_INFINITY;
  const specs: OrderSpec[] = Array.from({ length: total }, (_, i) => {
    const token =
      Math.floor((i + 1) / pendingEvery) > Math.floor(i / pendingEvery) ? 'tok_pending' : 'tok_ok';
    return { label: token, items: [{ productId: LAPTOP_STAND, quantity: 1 }], token };
  });
  const started = Date.now();
  const orders = oneAtATime
    ? await placeOneAtATime(customerToken, specs, `bench-${started.toString(36)}`)
    : await placeOrders(runtime.apiUrl, customerToken, specs, concurrency, `bench-${started.toString(36)}`);
  const waitUntil = Date.now() + Math.max(180_000, total * 500);
  const acceptedIds = orders.flatMap((order) => (order.orderId ? [order.orderId] : []));
  while (acceptedIds.some((id) => !settledAt.has(id)) && Date.now() < waitUntil) {
    progressBar('settled', acceptedIds.filter((id) => settledAt.has(id)).length, acceptedIds.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  progressBar('settled', acceptedIds.filter((id) => settledAt.has(id)).length, acceptedIds.length);
  const elapsed = Date.now() - started;
  const cpu = cpuPerOrder(cpuBefore, cpuMeter.sample(), acceptedIds.length, elapsed);
  for (const order of orders) {
    const settled = order.orderId ? settledAt.get(order.orderId) : undefined;
    if (settled) {
      order.terminalAt = settled.at;
      order.status = settled.status;
    }
  }
  // Let the last notifications and analytics batches land before counting.
  const settleUntil = Date.now() + 3_000;
  while (Date.now() < settleUntil) await new Promise((resolve) => setTimeout(resolve, 250));
  // Spot-check the API's view of a few orders against what the events said.
  for (const order of orders.slice(0, 5)) {
    const view = (await (
      await fetch(`${runtime.apiUrl}/orders/${order.orderId}`, {
        headers: { authorization: `Bearer ${customerToken}` },
      })
    ).json()) as {
      status: string;
    };
    if (view.status !== order.status)
      throw new Error(`Order ${order.orderId} is ${view.status} over HTTP but ${order.status} on Kafka`);
  }
  const countersAfter = readCounters(runtime, seenOnTopics);
  const usage = usageBefore ? runtime.meter?.since(usageBefore) : undefined;
  const accepted = orders.filter((order) => order.orderId);
  const settled = accepted.filter((order) => order.terminalAt);
  const confirmed = settled.filter((order) => order.status === 'CONFIRMED');
  const writes = (runtime.meter?.snapshot().itemWrites ?? 0) - writesBefore;
  const calls = invocations() - invocationsBefore;
  const messages = (await kafkaMessages()) - messagesBefore;
  const throughput = settled.length / (elapsed / 1000);
  const writesPerOrder = writes / Math.max(1, settled.length);
  const ceiling = rawRate / writesPerOrder;
  const createLatencies = orders.map((order) => order.createMs);
  const sagaLatencies = settled.map((order) => (order.terminalAt as number) - order.acceptedAt);

  // POST → terminal state: the create call, then the saga.
  const [first, ...rest] = settled.map(
    (order) => order.createMs + (order.terminalAt as number) - order.acceptedAt,
  );
  if (oneAtATime && first !== undefined)
    console.log(
      `\none at a time          POST → terminal: the first order after ready ${seconds(first)}; the others p50 ${seconds(percentile(rest, 50))}  p95 ${seconds(percentile(rest, 95))}  p99 ${seconds(percentile(rest, 99))}  max ${seconds(Math.max(...rest))}`,
    );
  console.log(`
orders                 ${total} ${oneAtATime ? 'one at a time' : `at concurrency ${concurrency}`}: ${accepted.length} accepted, ${settled.length} settled (${confirmed.length} CONFIRMED)
throughput             ${throughput.toFixed(1)} orders/s to a terminal state (${seconds(elapsed)} in all)
create-order           p50 ${ms(percentile(createLatencies, 50))}  p95 ${ms(percentile(createLatencies, 95))}  p99 ${ms(percentile(createLatencies, 99))}
saga completion        p50 ${seconds(percentile(sagaLatencies, 50))}  p95 ${seconds(percentile(sagaLatencies, 95))}  p99 ${seconds(percentile(sagaLatencies, 99))}
per order              ${writesPerOrder.toFixed(1)} DynamoDB item writes, ${(calls / Math.max(1, settled.length)).toFixed(1)} Lambda invocations, ${(messages / Math.max(1, settled.length)).toFixed(1)} Kafka messages
DynamoDB Local raw     ${rawRate.toFixed(0)} PutItem/s on a stream table (concurrency ${concurrency})
local ceiling          ${ceiling.toFixed(1)} orders/s (raw writes/s ÷ writes per order); achieved ${((throughput / ceiling) * 100).toFixed(0)} % of it`);
  const perFunction = Object.entries(invocationsByFunction())
    .map(([name, count]) => [name, count - (perFunctionBefore[name] ?? 0)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  console.log(
    `invocations by function: ${perFunction.map(([name, count]) => `${name} ${count}`).join(', ')}`,
  );
  const consumerGroups: Record<string, number> = {};
  for (const mapping of runtime.kafkaMappings)
    for (const topic of mapping.definition.topics) consumerGroups[topic] = (consumerGroups[topic] ?? 0) + 1;
  const perOrder = perOrderBetween(countersBefore, countersAfter, usage, {
    orders: settled.length,
    consumerGroups,
    apiRequests: orders.length,
  });
  const hopReport = hops.report();
  console.log(`\n${formatHops(hopReport).join('\n')}`);
  console.log(`\n${formatPerOrder(perOrder).join('\n')}`);
  console.log(`\n${formatCpu(cpu).join('\n')}`);
  if (values.json) {
    const percentiles = (values: number[]) => ({
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
    });
    const report: BenchReport = {
      kind: 'order-saga-bench',
      version: 1,
      date: new Date().toISOString(),
      machine: { cpus: availableParallelism(), node: process.version, platform: process.platform },
      orders: total,
      concurrency,
      timeScale: Number(values['time-scale']),
      pendingShare,
      accepted: accepted.length,
      settled: settled.length,
      confirmed: confirmed.length,
      elapsedMs: elapsed,
      throughput: Math.round(throughput * 100) / 100,
      latencyMs: { createOrder: percentiles(createLatencies), sagaCompletion: percentiles(sagaLatencies) },
      hopsMs: hopReport,
      perOrder,
      cpu,
    };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${values.json}`);
  }
  process.exitCode = settled.length === accepted.length && accepted.length === total ? 0 : 1;
} finally {
  cpuMeter.stop();
  await observer.disconnect().catch(() => {});
  await admin.disconnect().catch(() => {});
  dynamo.destroy();
  await runtime.stop();
}
