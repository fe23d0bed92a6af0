/**
 * Where a bench run's CPU goes, by component of the local stack: the functions' execution
 * environments (by function), DynamoDB Local, the mock Kafka cluster, and the runtime itself (its
 * event source mappings, API Gateway, metering proxy, and the bench driver, which share its process).
 *
 * Process times come from `/proc/<pid>/stat` (user + system), sampled every second so an environment
 * that exits during the run keeps its last sample; an environment started during the run counts from
 * zero, its initialisation included (a cold start under load is part of what an order costs here).
 * Linux only; elsewhere the report is empty.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { LocalRuntime } from '../localstack/runtime/runtime';
import { shortFunctionName } from './profile';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used, or undefined when it is gone (or not Linux). */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
}

/** CPU seconds by component. */
export interface CpuSample {
  runtime: number;
  dynamodbLocal: number;
  kafkaMock: number;
  /** By function name (the stack prefix left out). */
  functions: Record<string, number>;
}

/** CPU seconds of one order by component, and what they mean for this machine. */
export interface CpuPerOrder {
  cores: number;
  /** Core-seconds of one order, all components. */
  total: number;
  runtime: number;
  dynamodbLocal: number;
  kafkaMock: number;
  functions: number;
  byFunction: Record<string, number>;
  /** `cores / total`: the orders per second this machine could do if every core were busy with orders. */
  cpuBoundOrdersPerSecond: number;
  /** Share of the machine's cores busy during the run. */
  utilisation: number;
}

/** Samples the local stack's processes every second; `since` gives the CPU used between two samples. */
export class CpuMeter {
  /** The latest CPU seconds seen per (function, pid): an exited environment keeps its last sample. */
  private readonly seen = new Map<number, { fn: string; seconds: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly runtime: LocalRuntime) {
    this.poll();
    this.timer = setInterval(() => this.poll(), 1_000);
    this.timer.unref();
  }

  private poll(): void {
    for (const fn of this.runtime.functions.values()) {
      for (const pid of fn.pids) {
        const seconds = processCpuSeconds(pid);
        if (seconds !== undefined) this.seen.set(pid, { fn: shortFunctionName(fn.definition.name), seconds });
      }
    }
  }

  /** CPU seconds used so far, by component. */
  sample(): CpuSample {
    this.poll();
    const functions: Record<string, number> = {};
    for (const { fn, seconds } of this.seen.values()) functions[fn] = (functions[fn] ?? 0) + seconds;
    const usage = process.cpuUsage();
    const { dynamo, kafka } = this.runtime;
    return {
      runtime: (usage.user + usage.system) / 1e6,
      dynamodbLocal: (dynamo.pid === undefined ? undefined : processCpuSeconds(dynamo.pid)) ?? 0,
      kafkaMock: (kafka.pid === undefined ? undefined : processCpuSeconds(kafka.pid)) ?? 0,
      functions,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The CPU of one order between two samples of a run that settled `orders` orders in `elapsedMs`. */
export function cpuPerOrder(
  before: CpuSample,
  after: CpuSample,
  orders: number,
  elapsedMs: number,
): CpuPerOrder {
  const per = (value: number) => value / Math.max(1, orders);
  const byFunction: Record<string, number> = {};
  for (const [name, seconds] of Object.entries(after.functions)) {
    const used = seconds - (before.functions[name] ?? 0);
    if (used > 0) byFunction[name] = per(used);
  }
  const functions = Object.values(byFunction).reduce((sum, value) => sum + value, 0);
  const runtime = per(after.runtime - before.runtime);
  const dynamodbLocal = per(after.dynamodbLocal - before.dynamodbLocal);
  const kafkaMock = per(after.kafkaMock - before.kafkaMock);
  const total = runtime + dynamodbLocal + kafkaMock + functions;
  const cores = availableParallelism();
  return {
    cores,
    total,
    runtime,
    dynamodbLocal,
    kafkaMock,
    functions,
    byFunction,
    cpuBoundOrdersPerSecond: total > 0 ? cores / total : 0,
    utilisation: elapsedMs > 0 ? (total * orders) / ((elapsedMs / 1000) * cores) : 0,
  };
}

/** The report's lines. */
export function formatCpu(cpu: CpuPerOrder): string[] {
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;
  const share = (seconds: number) => `${((seconds / Math.max(cpu.total, 1e-9)) * 100).toFixed(0)} %`;
  const top = Object.entries(cpu.byFunction)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  return [
    `CPU per order          ${ms(cpu.total)} of CPU on ${cpu.cores} cores (${(cpu.utilisation * 100).toFixed(0)} % of the machine busy during the run): at most ${cpu.cpuBoundOrdersPerSecond.toFixed(1)} orders/s here`,
    `  functions (${Object.keys(cpu.byFunction).length})`.padEnd(49) +
      `${ms(cpu.functions)} (${share(cpu.functions)})`,
    ...top.map(([name, seconds]) => `    ${name}`.padEnd(49) + ms(seconds)),
    '  DynamoDB Local'.padEnd(49) + `${ms(cpu.dynamodbLocal)} (${share(cpu.dynamodbLocal)})`,
    '  Kafka mock'.padEnd(49) + `${ms(cpu.kafkaMock)} (${share(cpu.kafkaMock)})`,
    '  runtime and bench driver'.padEnd(49) + `${ms(cpu.runtime)} (${share(cpu.runtime)})`,
  ];
}
