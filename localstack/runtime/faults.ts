import { randomUUID } from 'node:crypto';
import type { LocalLambda } from './lambda';
import type { LogSink } from './logs';

/** Faults AWS has no API for, injected through the control plane's `/_local/faults` endpoint. */
export type FaultSpec =
  /** Brokers refuse connections (all of them when `brokerIds` is absent). */
  | { type: 'kafka-brokers-down'; brokerIds?: number[]; durationSeconds?: number }
  /** The function's execution environment is killed with SIGKILL during an invocation, with a probability. */
  | {
      type: 'lambda-crash';
      functionName: string;
      probability: number;
      afterMs?: number;
      durationSeconds?: number;
    }
  /** DynamoDB requests of the functions are held this long before they are forwarded. */
  | { type: 'dynamodb-latency'; latencyMs: number; operations?: string[]; durationSeconds?: number };

export type FaultType = FaultSpec['type'];

export type Fault = FaultSpec & {
  id: string;
  createdAt: string;
  /** When the fault ends by itself; absent for a fault that lasts until it is deleted. */
  expiresAt?: string;
};

export class FaultError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'FaultError';
  }
}

/** What the faults act on. */
export interface FaultTargets {
  kafka: {
    brokerIds: readonly number[];
    brokerDown: (id: number) => Promise<void>;
    brokerUp: (id: number) => Promise<void>;
  };
  /** The function with this name or ARN. */
  findFunction: (reference: string) => LocalLambda | undefined;
  /** Where the added DynamoDB latency is applied (the DynamoDB meter). */
  dynamo?: { addedLatency: (operation: string) => number };
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The active faults: each is listed until it expires (`durationSeconds`) or is deleted, and undone then.
 * Faults of one kind combine: a broker is down while any fault covers it, an invocation crashes with
 * the highest active probability for its function, and DynamoDB latencies add up.
 */
export class LocalFaults {
  private readonly active = new Map<string, { fault: Fault; timer?: NodeJS.Timeout }>();
  /** Brokers this endpoint took down, to bring back up. */
  private readonly downBrokers = new Set<number>();
  private brokerChanges: Promise<void> = Promise.resolve();

  constructor(
    private readonly targets: FaultTargets,
    private readonly logs: LogSink,
  ) {
    if (targets.dynamo) targets.dynamo.addedLatency = (operation) => this.latencyFor(operation);
  }

  list(): Fault[] {
    return [...this.active.values()].map(({ fault }) => fault);
  }

  get(id: string): Fault | undefined {
    return this.active.get(id)?.fault;
  }

  /** Validates and applies a fault; resolves once it is in effect. */
  async add(spec: FaultSpec): Promise<Fault> {
    this.validate(spec);
    const now = new Date();
    const duration = spec.durationSeconds;
    const fault: Fault = {
      id: randomUUID(),
      ...spec,
      createdAt: now.toISOString(),
      ...(duration === undefined
        ? {}
        : { expiresAt: new Date(now.getTime() + duration * 1000).toISOString() }),
    };
    const entry: { fault: Fault; timer?: NodeJS.Timeout } = { fault };
    this.active.set(fault.id, entry);
    this.logs.write('faults', `added ${fault.type} ${fault.id}: ${JSON.stringify(spec)}`);
    if (duration !== undefined) {
      entry.timer = setTimeout(() => void this.remove(fault.id).catch(() => {}), duration * 1000);
      entry.timer.unref();
    }
    await this.apply();
    return fault;
  }

  /** Undoes a fault; false when there is none with this id. */
  async remove(id: string): Promise<boolean> {
    const entry = this.active.get(id);
    if (!entry) return false;
    clearTimeout(entry.timer);
    this.active.delete(id);
    this.logs.write('faults', `removed ${entry.fault.type} ${id}`);
    await this.apply();
    return true;
  }

  async removeAll(): Promise<void> {
    for (const { timer } of this.active.values()) clearTimeout(timer);
    this.active.clear();
    await this.apply();
  }

  private validate(spec: FaultSpec): void {
    const bad = (message: string) => new FaultError(400, message);
    if (spec.durationSeconds !== undefined && (!isNumber(spec.durationSeconds) || spec.durationSeconds <= 0))
      throw bad('durationSeconds must be a positive number');
    switch (spec.type) {
      case 'kafka-brokers-down': {
        const ids: unknown = spec.brokerIds ?? [];
        if (!Array.isArray(ids) || ids.some((id) => !this.targets.kafka.brokerIds.includes(id as number)))
          throw bad(`brokerIds must be some of ${this.targets.kafka.brokerIds.join(', ')}`);
        return;
      }
      case 'lambda-crash':
        if (typeof spec.functionName !== 'string' || !this.targets.findFunction(spec.functionName))
          throw new FaultError(404, `Function not found: ${String(spec.functionName)}`);
        if (!isNumber(spec.probability) || spec.probability < 0 || spec.probability > 1)
          throw bad('probability must be a number from 0 to 1');
        if (spec.afterMs !== undefined && (!isNumber(spec.afterMs) || spec.afterMs < 0))
          throw bad('afterMs must be a number of milliseconds');
        return;
      case 'dynamodb-latency':
        if (!this.targets.dynamo) throw bad('this runtime has no DynamoDB proxy');
        if (!isNumber(spec.latencyMs) || spec.latencyMs < 0 || spec.latencyMs > 60_000)
          throw bad('latencyMs must be a number of milliseconds from 0 to 60000');
        if (spec.operations !== undefined && !Array.isArray(spec.operations))
          throw bad('operations must be a list of DynamoDB operation names');
        return;
      default:
        throw bad(
          `Unknown fault type ${String((spec as { type?: unknown }).type)}; one of kafka-brokers-down, lambda-crash, dynamodb-latency`,
        );
    }
  }

  private latencyFor(operation: string): number {
    let total = 0;
    for (const { fault } of this.active.values()) {
      if (fault.type !== 'dynamodb-latency') continue;
      if (fault.operations && !fault.operations.includes(operation)) continue;
      total += fault.latencyMs;
    }
    return total;
  }

  /** Brings every target in line with the active faults. */
  private async apply(): Promise<void> {
    const faults = this.list();
    const crashes = new Map<LocalLambda, { probability: number; afterMs: number }>();
    for (const fault of faults) {
      if (fault.type !== 'lambda-crash') continue;
      const fn = this.targets.findFunction(fault.functionName);
      if (!fn) continue;
      const current = crashes.get(fn);
      if (!current || fault.probability > current.probability)
        crashes.set(fn, { probability: fault.probability, afterMs: fault.afterMs ?? 0 });
    }
    for (const fn of this.crashTargets) if (!crashes.has(fn)) fn.crashFault = undefined;
    for (const [fn, crash] of crashes) fn.crashFault = crash;
    this.crashTargets = new Set(crashes.keys());

    const wanted = new Set<number>();
    for (const fault of faults) {
      if (fault.type !== 'kafka-brokers-down') continue;
      for (const id of fault.brokerIds ?? this.targets.kafka.brokerIds) wanted.add(id);
    }
    const change = this.brokerChanges.then(async () => {
      for (const id of wanted) {
        if (this.downBrokers.has(id)) continue;
        await this.targets.kafka.brokerDown(id);
        this.downBrokers.add(id);
      }
      for (const id of [...this.downBrokers]) {
        if (wanted.has(id)) continue;
        await this.targets.kafka.brokerUp(id);
        this.downBrokers.delete(id);
      }
    });
    this.brokerChanges = change.catch(() => {});
    await change;
  }

  private crashTargets = new Set<LocalLambda>();

  /** Ends every fault (when the runtime stops). */
  async stop(): Promise<void> {
    await this.removeAll().catch(() => {});
  }
}
