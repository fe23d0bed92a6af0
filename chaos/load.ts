import type { ApiClient, OrderRequest, PlacedOrder } from './client';

/**
 * Test tokens of the mock PSP with their share of the orders: mostly payments that go through, and
 * every other path of the saga (declines, pending payments settled by status checks, transient 5xx,
 * timeouts found by status checks, slow answers).
 */
export const TOKEN_MIX: readonly (readonly [string, number])[] = [
  ['tok_ok', 40],
  ['tok_decline', 10],
  ['tok_insufficient_funds', 5],
  ['tok_pending', 10],
  ['tok_pending_fail', 5],
  ['tok_flaky', 10],
  ['tok_timeout', 10],
  ['tok_slow', 10],
];

export interface LoadPlan {
  orders: number;
  /** The orders are placed evenly over this long (the fault's duration), at most `concurrency` at once. */
  spreadMs: number;
  concurrency: number;
}

export interface LoadResult {
  /** orderId of every order the API accepted. */
  accepted: string[];
  /** Orders the API never accepted, after the client's retries. */
  failed: PlacedOrder[];
  /** API calls repeated after a 5xx or a network error. */
  retries: number;
}

/** A deterministic random source (mulberry32), so a run's orders can be placed again. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(weighted: readonly (readonly [T, number])[], random: () => number): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return (weighted.at(-1) as readonly [T, number])[0];
}

/**
 * The orders of a scenario: one or two lines of products picked by their stock (so stock lasts), one
 * to two units each, a token from the mix, the customers in turn. Idempotency-Keys carry the run and
 * scenario.
 */
export function orderRequests(
  count: number,
  keyPrefix: string,
  customers: readonly string[],
  stock: ReadonlyMap<string, number>,
  random: () => number,
): OrderRequest[] {
  const products = [...stock].filter(([, units]) => units > 0);
  if (products.length === 0 || customers.length === 0) return [];
  return Array.from({ length: count }, (_, i) => {
    const lines = new Map<string, number>();
    const lineCount = random() < 0.2 ? 2 : 1;
    for (let line = 0; line < lineCount; line++) {
      const productId = pick(products, random);
      lines.set(productId, (lines.get(productId) ?? 0) + (random() < 0.8 ? 1 : 2));
    }
    return {
      customer: customers[i % customers.length] as string,
      items: [...lines].map(([productId, quantity]) => ({ productId, quantity })),
      token: pick(TOKEN_MIX, random),
      idempotencyKey: `${keyPrefix}-${i}`,
    };
  });
}

/** Places the orders over the plan's spread, concurrently, each with its own Idempotency-Key. */
export async function driveLoad(
  api: ApiClient,
  requests: readonly OrderRequest[],
  plan: LoadPlan,
): Promise<LoadResult> {
  const started = Date.now();
  const gapMs = requests.length > 1 ? plan.spreadMs / requests.length : 0;
  const result: LoadResult = { accepted: [], failed: [], retries: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(plan.concurrency, requests.length)) }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const due = started + i * gapMs;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const request = requests[i] as OrderRequest;
        const placed = await api.placeOrder(request);
        result.retries += placed.attempts - 1;
        if (placed.orderId) result.accepted.push(placed.orderId);
        else result.failed.push(placed);
      }
    }),
  );
  return result;
}
