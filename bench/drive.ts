/** Shared by the demo and the saga benchmark: place orders, follow them to a terminal state, report. */

export interface OrderSpec {
  label: string;
  items: { productId: string; quantity: number }[];
  token: string;
}

export interface TrackedOrder {
  spec: OrderSpec;
  httpStatus: number;
  createMs: number;
  acceptedAt: number;
  orderId?: string;
  status?: string;
  reason?: string;
  terminalAt?: number;
}

const TERMINAL = new Set(['CONFIRMED', 'CANCELLED']);

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function progressBar(label: string, done: number, total: number): void {
  if (!process.stdout.isTTY && done !== total && done % Math.max(1, Math.floor(total / 10)) !== 0) return;
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const line = `${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${done === total ? '\n' : ''}`);
  else process.stdout.write(`${line}\n`);
}

/** Places the orders as the signed-in customer whose ID token is `idToken`. */
export async function placeOrders(
  apiUrl: string,
  idToken: string,
  specs: readonly OrderSpec[],
  concurrency: number,
  runId: string,
): Promise<TrackedOrder[]> {
  const tracked: TrackedOrder[] = new Array(specs.length);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
      for (let i = next++; i < specs.length; i = next++) {
        const spec = specs[i] as OrderSpec;
        const started = performance.now();
        const response = await fetch(`${apiUrl}/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': `${runId}-${i}`,
            authorization: `Bearer ${idToken}`,
          },
          body: JSON.stringify({
            items: spec.items,
            payment: { method: 'card', token: spec.token },
          }),
        });
        const body = (await response.json().catch(() => ({}))) as { orderId?: string };
        tracked[i] = {
          spec,
          httpStatus: response.status,
          createMs: performance.now() - started,
          acceptedAt: Date.now(),
          ...(body.orderId ? { orderId: body.orderId } : {}),
        };
        progressBar('placed', ++done, specs.length);
      }
    }),
  );
  return tracked;
}

/** Polls every accepted order (of the customer of `idToken`) until it is CONFIRMED or CANCELLED, or the deadline passes. */
export async function awaitTerminal(
  apiUrl: string,
  idToken: string,
  orders: TrackedOrder[],
  timeoutMs: number,
  concurrency = 8,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const open = () => orders.filter((order) => order.orderId && !order.terminalAt);
  const accepted = orders.filter((order) => order.orderId).length;
  while (open().length > 0 && Date.now() < deadline) {
    const queue = open();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let order = queue.shift(); order; order = queue.shift()) {
          const response = await fetch(`${apiUrl}/orders/${order.orderId}`, {
            headers: { authorization: `Bearer ${idToken}` },
          });
          if (!response.ok) continue;
          const body = (await response.json()) as {
            status: string;
            history: { status: string; reason: string }[];
          };
          order.status = body.status;
          if (TERMINAL.has(body.status)) {
            order.terminalAt = Date.now();
            order.reason = body.history.at(-1)?.reason;
          }
        }
      }),
    );
    progressBar('settled', accepted - open().length, accepted);
    if (open().length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const ms = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(0)} ms`);
export const seconds = (value: number) => (Number.isNaN(value) ? '-' : `${(value / 1000).toFixed(2)} s`);

/** A product with plenty of stock, so load runs measure the saga rather than rejections. */
export const LAPTOP_STAND = '55555555-5555-5555-5555-555555555555';
export const MONITOR = '44444444-4444-4444-4444-444444444444';
export const MOUSE = '11111111-1111-1111-1111-111111111111';
export const KEYBOARD = '22222222-2222-2222-2222-222222222222';
export const HUB = '33333333-3333-3333-3333-333333333333';
