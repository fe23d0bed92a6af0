/**
 * `npm run demo`: signs in as a demo customer and walks the storefront (`bench/storefront.ts`: profile,
 * cart, checkout and its replay, the order followed to CONFIRMED, SHIPPED and DELIVERED with the demo
 * playing the carrier's signed webhooks, a second order cancelled, the order list, an admin restock), then places one order per mock PSP token (and one over the stock),
 * follows each to its terminal state and prints a table of outcomes and timings, then the metrics as
 * the demo admin. Uses a running `npm start` at http://127.0.0.1:3000 when there is one
 * (it signs in through that runtime's Cognito API), else starts a local stack of its own; `--url` and
 * `--token` (a customer's ID token) run it against any deployment.
 */
import { parseArgs } from 'node:util';
import type { LocalRuntime } from '../localstack/runtime/runtime';
import { localCarrier } from '../scripts/carrier';
import {
  awaitTerminal,
  HUB,
  KEYBOARD,
  MONITOR,
  MOUSE,
  ms,
  type OrderSpec,
  placeOrders,
  seconds,
} from './drive';
import { ROOT, startLocalStack } from './local-stack';
import { runningLocalStack, runtimeInfoOf, signInAs } from './sign-in';
import { storefrontJourney } from './storefront';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    'time-scale': { type: 'string', default: '20' },
  },
});

const SPECS: (OrderSpec & { expected: string })[] = [
  {
    label: 'tok_ok',
    token: 'tok_ok',
    items: [
      { productId: MOUSE, quantity: 1 },
      { productId: HUB, quantity: 1 },
    ],
    expected: 'CONFIRMED',
  },
  {
    label: 'tok_decline',
    token: 'tok_decline',
    items: [{ productId: KEYBOARD, quantity: 1 }],
    expected: 'CANCELLED (stock back)',
  },
  {
    label: 'tok_insufficient_funds',
    token: 'tok_insufficient_funds',
    items: [{ productId: KEYBOARD, quantity: 1 }],
    expected: 'CANCELLED (stock back)',
  },
  {
    label: 'tok_pending',
    token: 'tok_pending',
    items: [{ productId: MOUSE, quantity: 1 }],
    expected: 'CONFIRMED after status checks',
  },
  {
    label: 'tok_pending_fail',
    token: 'tok_pending_fail',
    items: [{ productId: MOUSE, quantity: 1 }],
    expected: 'CANCELLED (stock back)',
  },
  {
    label: 'tok_flaky',
    token: 'tok_flaky',
    items: [{ productId: HUB, quantity: 1 }],
    expected: 'CONFIRMED after retries',
  },
  {
    label: 'tok_timeout',
    token: 'tok_timeout',
    items: [{ productId: HUB, quantity: 1 }],
    expected: 'settled by status checks',
  },
  {
    label: 'tok_slow',
    token: 'tok_slow',
    items: [{ productId: MOUSE, quantity: 1 }],
    expected: 'CONFIRMED',
  },
  {
    label: 'over the stock',
    token: 'tok_ok',
    items: [{ productId: MONITOR, quantity: 999 }],
    expected: 'CANCELLED (StockRejected)',
  },
];

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

let runtime: LocalRuntime | undefined;
let apiUrl = values.url ?? 'http://127.0.0.1:3000';
let info = (await reachable(apiUrl)) ? runningLocalStack(ROOT, apiUrl) : undefined;
if (!info && !values.token) {
  if (values.url)
    throw new Error(`No local stack answers at ${values.url}; pass --token <ID token> for a deployment`);
  runtime = await startLocalStack(Number(values['time-scale']));
  apiUrl = runtime.apiUrl;
  info = runtimeInfoOf(runtime);
}

try {
  const customerToken = values.token ?? (await signInAs(info as NonNullable<typeof info>, 'customer'));
  const adminToken = info ? await signInAs(info, 'admin') : undefined;
  const started = Date.now();
  console.log('The storefront, as a customer:');
  await storefrontJourney({
    apiUrl,
    customerToken,
    adminToken,
    carrier: info ? await localCarrier(info) : undefined,
    timeoutMs: 180_000,
    runId: `demo-${started.toString(36)}`,
  });
  console.log();
  console.log('One order per mock PSP test token:');
  const orders = await placeOrders(
    apiUrl,
    customerToken,
    SPECS,
    SPECS.length,
    `demo-${started.toString(36)}`,
  );
  await awaitTerminal(apiUrl, customerToken, orders, 180_000);
  const rows = orders.map((order, i) => ({
    case: order.spec.label,
    expected: SPECS[i]?.expected ?? '',
    status: order.status ?? `HTTP ${order.httpStatus}`,
    reason: order.reason ?? '',
    create: ms(order.createMs),
    saga: order.terminalAt ? seconds(order.terminalAt - order.acceptedAt) : 'not settled',
  }));
  console.log();
  console.table(rows);
  const products = (await (await fetch(`${apiUrl}/products`)).json()) as {
    items: { name: string; stock: number }[];
  };
  console.log(`Stock now: ${products.items.map((p) => `${p.name} ${p.stock}`).join(', ')}`);
  if (info) {
    const metrics = await fetch(`${apiUrl}/admin/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (metrics.ok) {
      // The hourly breakdown is left out: the last 24 hours' totals say what the demo did.
      const { byStatus, totals } = (await metrics.json()) as { byStatus: unknown; totals: unknown };
      console.log('GET /admin/metrics (as the admin), last 24 hours:');
      console.log(`  by status ${JSON.stringify(byStatus)}`);
      console.log(`  events    ${JSON.stringify(totals)}`);
    }
  }
  console.log(`All done in ${seconds(Date.now() - started)}.`);
} finally {
  await runtime?.stop();
}
