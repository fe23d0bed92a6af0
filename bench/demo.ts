/**
 * `npm run demo`: places one order per mock PSP token (and one over the stock), follows each to its
 * terminal state and prints a table of outcomes and timings. Uses a running `npm start` at
 * http://127.0.0.1:3000 when there is one (or `--url`), else starts a local stack of its own.
 */
import { parseArgs } from 'node:util';
import type { LocalRuntime } from '../localstack/runtime/runtime';
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
import { startLocalStack } from './local-stack';

const { values } = parseArgs({
  options: { url: { type: 'string' }, 'time-scale': { type: 'string', default: '20' } },
});

const SPECS: (OrderSpec & { expected: string })[] = [
  {
    label: 'tok_ok',
    token: 'tok_ok',
    customerId: 'demo-ok',
    items: [
      { productId: MOUSE, quantity: 1 },
      { productId: HUB, quantity: 1 },
    ],
    expected: 'CONFIRMED',
  },
  {
    label: 'tok_decline',
    token: 'tok_decline',
    customerId: 'demo-decline',
    items: [{ productId: KEYBOARD, quantity: 1 }],
    expected: 'CANCELLED (stock back)',
  },
  {
    label: 'tok_insufficient_funds',
    token: 'tok_insufficient_funds',
    customerId: 'demo-funds',
    items: [{ productId: KEYBOARD, quantity: 1 }],
    expected: 'CANCELLED (stock back)',
  },
  {
    label: 'tok_pending',
    token: 'tok_pending',
    customerId: 'demo-pending',
    items: [{ productId: MOUSE, quantity: 1 }],
    expected: 'CONFIRMED after status checks',
  },
  {
    label: 'tok_pending_fail',
    token: 'tok_pending_fail',
    customerId: 'demo-pending-fail',
    items: [{ productId: MOUSE, quantity: 1 }],
    expected: 'CANCELLED (stock back)',
  },
  {
    label: 'tok_flaky',
    token: 'tok_flaky',
    customerId: 'demo-flaky',
    items: [{ productId: HUB, quantity: 1 }],
    expected: 'CONFIRMED after retries',
  },
  {
    label: 'tok_timeout',
    token: 'tok_timeout',
    customerId: 'demo-timeout',
    items: [{ productId: HUB, quantity: 1 }],
    expected: 'settled by status checks',
  },
  {
    label: 'tok_slow',
    token: 'tok_slow',
    customerId: 'demo-slow',
    items: [{ productId: MOUSE, quantity: 1 }],
    expected: 'CONFIRMED',
  },
  {
    label: 'over the stock',
    token: 'tok_ok',
    customerId: 'demo-oversell',
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
if (!(await reachable(apiUrl))) {
  if (values.url) throw new Error(`No order API answers at ${values.url}`);
  runtime = await startLocalStack(Number(values['time-scale']));
  apiUrl = runtime.apiUrl;
}

try {
  const started = Date.now();
  const orders = await placeOrders(apiUrl, SPECS, SPECS.length, `demo-${started.toString(36)}`);
  await awaitTerminal(apiUrl, orders, 180_000);
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
  const metrics = await fetch(`${apiUrl}/admin/metrics`);
  if (metrics.ok) console.log('GET /admin/metrics:', JSON.stringify(await metrics.json()));
  console.log(`All done in ${seconds(Date.now() - started)}.`);
} finally {
  await runtime?.stop();
}
