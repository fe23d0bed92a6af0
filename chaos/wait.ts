import { ChaosError } from './errors';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  description: string;
}

/** Calls `fn` until it returns a truthy value, and returns it; a ChaosError after the deadline. */
export async function poll<T>(fn: () => Promise<T>, options: PollOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline)
      throw new ChaosError(
        `${options.description}: not done within ${Math.round(options.timeoutMs / 1000)} s`,
      );
    await pause(options.intervalMs ?? 1_000);
  }
}

/** Waits; a fault's duration and the pace of the load are kept with it. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
