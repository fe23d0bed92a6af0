/**
 * Create-order benchmark against the local runtime: N orders at concurrency C over HTTP, then waits
 * until every OrderCreated is on Kafka. Prints request latency percentiles, throughput and the
 * outbox publish lag (HTTP 202 → message on the topic).
 *
 *   npm run bench:create-order -- --orders 500 --concurrency 10
 *   npm run bench:create-order -- --url http://127.0.0.1:3000 --kafka 127.0.0.1:port   (against a running `npm start`)
 *
 * It signs in as a demo customer through the runtime's Cognito API (a running `npm start` tells where
 * in `.local/runtime.json`), or uses `--token` (an ID token).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { LocalRuntime } from '../localstack/runtime/runtime';
import { ensureSynthesized } from '../localstack/runtime/synth';
import { percentile, progressBar as progress } from './drive';
import { type RuntimeInfo, runningLocalStack, runtimeInfoOf, signInAs } from './sign-in';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '10' },
    url: { type: 'string' },
    kafka: { type: 'string' },
    token: { type: 'string' },
  },
});
const total = Number(values.orders);
const concurrency = Number(values.concurrency);

let runtime: LocalRuntime | undefined;
let apiUrl = values.url;
let bootstrap = values.kafka;
let info: RuntimeInfo | undefined = apiUrl ? runningLocalStack(root, apiUrl) : undefined;
if (!apiUrl || !bootstrap) {
  await ensureSynthesized(root, console.log);
  runtime = await LocalRuntime.start({
    cdkOut: join(root, 'cdk.out'),
    apiPort: 0,
    logFile: join(mkdtempSync(join(tmpdir(), 'order-saga-bench-')), 'functions.log'),
    runSchedules: false,
  });
  apiUrl = runtime.apiUrl;
  bootstrap = runtime.kafkaBootstrap;
  info = runtimeInfoOf(runtime);
}
if (!values.token && !info) throw new Error('Pass --token <ID token> to sign in at this API');
const idToken = values.token ?? (await signInAs(info as RuntimeInfo, 'customer'));

const kafka = new Kafka({ clientId: 'bench', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({
  groupId: `bench-${Date.now()}`,
  sessionTimeout: 6_000,
  heartbeatInterval: 1_000,
});
const acceptedAt = new Map<string, number>();
const lags: number[] = [];
const seen = new Set<string>();
await consumer.connect();
await consumer.subscribe({ topics: ['orders.events'], fromBeginning: false });
let assigned = false;
consumer.on(consumer.events.GROUP_JOIN, () => {
  assigned = true;
});
await consumer.run({
  eachMessage: async ({ message }) => {
    const key = message.key?.toString() ?? '';
    const at = acceptedAt.get(key);
    if (at !== undefined && !seen.has(key)) {
      seen.add(key);
      lags.push(Date.now() - at);
    }
  },
});
const joinDeadline = Date.now() + 30_000;
while (!assigned && Date.now() < joinDeadline) await new Promise((resolve) => setTimeout(resolve, 50));

const latencies: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
let done = 0;
const usageBefore = runtime?.meter?.snapshot();
const run = Date.now();
const body = () =>
  JSON.stringify({
    items: [{ productId: '55555555-5555-5555-5555-555555555555', quantity: 1 }],
    payment: { method: 'card', token: 'tok_ok' },
  });
const runId = Date.now().toString(36);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < total; i = next++) {
      const started = performance.now();
      const response = await fetch(`${apiUrl}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `bench-${runId}-${i}`,
          authorization: `Bearer ${idToken}`,
        },
        body: body(),
      });
      const text = await response.text();
      latencies.push(performance.now() - started);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 202)
        acceptedAt.set((JSON.parse(text) as { orderId: string }).orderId, Date.now());
      progress('orders ', ++done, total);
    }
  }),
);
const httpSeconds = (Date.now() - run) / 1000;
const deadline = Date.now() + 120_000;
while (seen.size < acceptedAt.size && Date.now() < deadline) {
  progress('on Kafka', seen.size, acceptedAt.size);
  await new Promise((resolve) => setTimeout(resolve, 200));
}
progress('on Kafka', seen.size, acceptedAt.size);
const allSeconds = (Date.now() - run) / 1000;
const usage = usageBefore ? runtime?.meter?.since(usageBefore) : undefined;
await consumer.disconnect();
await runtime?.stop();

const ms = (value: number) => `${value.toFixed(1)} ms`;
console.log(`
orders            ${total} at concurrency ${concurrency}
HTTP statuses     ${[...statuses].map(([status, count]) => `${status}×${count}`).join(', ')}
create-order      p50 ${ms(percentile(latencies, 50))}  p95 ${ms(percentile(latencies, 95))}  p99 ${ms(percentile(latencies, 99))}  max ${ms(Math.max(...latencies))}
throughput        ${(total / httpSeconds).toFixed(1)} orders/s accepted
outbox → Kafka    ${seen.size}/${acceptedAt.size} published; lag p50 ${ms(percentile(lags, 50))}  p99 ${ms(percentile(lags, 99))}
all on Kafka in   ${allSeconds.toFixed(1)} s`);
if (usage) {
  // Only this runtime's own meter knows the units (not a running npm start reached with --url).
  const per = (value: number) => (value / Math.max(1, acceptedAt.size)).toFixed(2);
  const purposes = Object.entries(usage.byPurpose)
    .map(([purpose, units]) => `${purpose} ${per(units.write)} W / ${per(units.read)} R`)
    .join(', ');
  console.log(
    `DynamoDB per order ${per(usage.units.write)} write units, ${per(usage.units.read)} read units until every OrderCreated was on Kafka (the consumers run meanwhile): ${purposes}`,
  );
}
process.exit(seen.size === acceptedAt.size ? 0 : 1);
