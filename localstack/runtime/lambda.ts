import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { lambdaNodeFor } from './lambda-node';
import type { LogSink } from './logs';

const HOST = fileURLToPath(new URL('./lambda-host.mjs', import.meta.url));

export interface FunctionDefinition {
  logicalId: string;
  name: string;
  arn: string;
  handlerFile: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutMs: number;
  memoryMb: number;
  /**
   * The function's own variables (the template's, as resolved locally, plus overrides), which the
   * Lambda API reports and replaces; `environment` adds the runtime's settings to them.
   */
  variables?: Record<string, string>;
  /** What the template declares, as the Lambda API reports it. */
  runtime?: string;
  handler?: string;
  role?: string;
  description?: string;
}

/**
 * A fault: with this probability, an invocation's execution environment kills itself with SIGKILL
 * `afterMs` into the invocation, or when the handler finishes if that comes first (its work is done,
 * its result is never sent).
 */
export interface CrashFault {
  probability: number;
  afterMs: number;
}

export interface InvokeError {
  errorType: string;
  errorMessage: string;
  stack?: string[];
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: InvokeError };

interface Host {
  child: ChildProcess;
  ready: Promise<void>;
  pending?: { id: string; resolve: (result: InvokeResult) => void; timer: NodeJS.Timeout };
}

export class FunctionStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionStartError';
  }
}

/**
 * A function as Lambda runs it: separate processes ("execution environments") with the function's
 * own environment, each serving one invocation at a time, created on demand up to a concurrency
 * limit, killed and replaced on timeout or crash.
 */
export class LocalLambda {
  private readonly idle: Host[] = [];
  private readonly all = new Set<Host>();
  private readonly waiting: ((host: Host) => void)[] = [];
  private stopped = false;
  invocations = 0;
  /**
   * Milliseconds spent in invocations, from handing the event to an execution environment to its
   * result (what Lambda bills as duration; the start of a new environment is not included).
   */
  durationMs = 0;
  /** Execution environments started (cold starts). */
  coldStarts = 0;
  /** Set by the local fault endpoint; undefined when no crash fault is active. */
  crashFault: CrashFault | undefined;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly logs: LogSink,
    private readonly maxConcurrency = 4,
  ) {}

  /** Process ids of the execution environments alive now (for CPU accounting by tools). */
  get pids(): number[] {
    return [...this.all].flatMap((host) => (host.child.pid === undefined ? [] : [host.child.pid]));
  }

  async invoke(event: unknown, options: { traceId?: string } = {}): Promise<InvokeResult> {
    this.invocations++;
    const host = await this.acquire();
    const started = performance.now();
    const id = randomUUID();
    const deadline = Date.now() + this.definition.timeoutMs;
    const result = await new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.logs.write(
          this.definition.name,
          `Task timed out after ${this.definition.timeoutMs / 1000} seconds`,
        );
        host.pending = undefined;
        this.discard(host);
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${this.definition.timeoutMs / 1000} seconds`,
          },
        });
      }, this.definition.timeoutMs);
      host.pending = { id, resolve, timer };
      const crash = this.crashFault;
      const crashAfterMs = crash && Math.random() < crash.probability ? crash.afterMs : undefined;
      if (crashAfterMs !== undefined)
        this.logs.write(
          this.definition.name,
          'local fault: this invocation ends with SIGKILL of its process',
        );
      host.child.send({
        type: 'invoke',
        id,
        event,
        ...(crashAfterMs === undefined ? {} : { crashAfterMs }),
        context: {
          functionName: this.definition.name,
          invokedFunctionArn: this.definition.arn,
          memoryLimitInMB: this.definition.memoryMb,
          awsRequestId: id,
          deadline,
          traceId:
            options.traceId ??
            `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Sampled=0`,
        },
      });
    });
    this.durationMs += performance.now() - started;
    this.release(host);
    return result;
  }

  /**
   * Starts execution environments until `count` exist (at most the function's concurrency), each
   * initialized (its module loaded) and idle, as provisioned concurrency does on AWS: invocations
   * that follow find them warm.
   */
  async provision(count = 1): Promise<void> {
    const wanted = Math.min(count, this.maxConcurrency) - this.all.size;
    const hosts = Array.from({ length: Math.max(0, wanted) }, () => this.spawn('provisioned-concurrency'));
    const started = await Promise.allSettled(hosts.map((host) => host.ready));
    const failed = started.find((result) => result.status === 'rejected');
    hosts.forEach((host, index) => {
      if (started[index]?.status === 'fulfilled') this.release(host);
      else this.discard(host);
    });
    if (failed) throw failed.reason;
  }

  private async acquire(): Promise<Host> {
    for (;;) {
      if (this.stopped) throw new FunctionStartError(`${this.definition.name} is stopped`);
      const idle = this.idle.pop();
      if (idle) return idle;
      if (this.all.size < this.maxConcurrency) {
        const host = this.spawn('on-demand');
        try {
          await host.ready;
          return host;
        } catch (error) {
          this.discard(host);
          throw error;
        }
      }
      const host = await new Promise<Host>((resolve) => this.waiting.push(resolve));
      if (this.all.has(host)) return host;
    }
  }

  private release(host: Host): void {
    if (!this.all.has(host)) {
      this.waiting.shift()?.(host);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(host);
    else this.idle.push(host);
  }

  /**
   * Starts an execution environment. `initType` is what Lambda tells the function in
   * `AWS_LAMBDA_INITIALIZATION_TYPE`: `provisioned-concurrency` for one initialized ahead of its
   * invocations, `on-demand` for one started by an invocation.
   */
  private spawn(initType: 'on-demand' | 'provisioned-concurrency'): Host {
    let execPath: string;
    try {
      execPath = lambdaNodeFor(this.definition.runtime);
    } catch (error) {
      throw new FunctionStartError(`${this.definition.name} cannot start`, { cause: error });
    }
    const child = fork(HOST, [], {
      execPath,
      // Not the runtime's own options (fork's default): under tsx those load its TypeScript loader,
      // which transforms every bundle on import (three times the CPU of a cold start). Lambda starts
      // Node.js with the function's NODE_OPTIONS alone.
      execArgv: [],
      env: {
        ...this.definition.environment,
        AWS_LAMBDA_INITIALIZATION_TYPE: initType,
        LOCAL_LAMBDA_HANDLER_FILE: this.definition.handlerFile,
        LOCAL_LAMBDA_HANDLER_EXPORT: this.definition.handlerExport,
        PATH: process.env.PATH ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Events and results cross as JSON, as they do in Lambda (and between Node.js majors).
      serialization: 'json',
    });
    this.logs.attach(this.definition.name, child);
    this.coldStarts++;
    const host: Host = { child, ready: Promise.resolve() };
    host.ready = new Promise<void>((resolve, reject) => {
      child.once('message', (message: { type: string; error?: InvokeError }) => {
        if (message.type === 'ready') resolve();
        else
          reject(
            new FunctionStartError(
              `${this.definition.name} failed to initialize: ${message.error?.errorType}: ${message.error?.errorMessage}`,
            ),
          );
      });
      child.once('exit', (code) =>
        reject(new FunctionStartError(`${this.definition.name} exited during init (code ${code})`)),
      );
    });
    host.ready.catch(() => {});
    child.on(
      'message',
      (message: { type: string; id?: string; ok?: boolean; payload?: unknown; error?: InvokeError }) => {
        if (message.type !== 'result' || !host.pending || message.id !== host.pending.id) return;
        const { resolve, timer } = host.pending;
        clearTimeout(timer);
        host.pending = undefined;
        resolve(
          message.ok
            ? { ok: true, payload: message.payload }
            : { ok: false, error: message.error as InvokeError },
        );
      },
    );
    child.on('exit', (code, signal) => {
      this.all.delete(host);
      const index = this.idle.indexOf(host);
      if (index >= 0) this.idle.splice(index, 1);
      if (host.pending) {
        const { resolve, timer } = host.pending;
        clearTimeout(timer);
        host.pending = undefined;
        resolve({
          ok: false,
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited (code ${code}, signal ${signal})`,
          },
        });
      }
    });
    this.all.add(host);
    return host;
  }

  private discard(host: Host): void {
    this.all.delete(host);
    host.child.kill('SIGKILL');
  }

  /** Ends every execution environment (a later invoke starts fresh ones, as after a cold start). */
  async recycle(): Promise<void> {
    const hosts = [...this.all];
    this.idle.length = 0;
    await Promise.all(
      hosts.map(
        (host) =>
          new Promise<void>((resolve) => {
            if (host.child.exitCode !== null || host.child.signalCode !== null) return resolve();
            host.child.once('exit', () => resolve());
            host.child.kill('SIGKILL');
          }),
      ),
    );
  }

  /**
   * Changes environment variables and starts fresh execution environments, as a configuration
   * update of a deployed function does.
   */
  async reconfigure(changes: Record<string, string>): Promise<void> {
    Object.assign(this.definition.environment, changes);
    if (this.definition.variables) Object.assign(this.definition.variables, changes);
    await this.recycle();
  }

  /**
   * Replaces the function's own variables (UpdateFunctionConfiguration `Environment`: the variables
   * given are all the function has afterwards), keeps the runtime's settings, and starts fresh
   * execution environments.
   */
  async replaceVariables(variables: Record<string, string>): Promise<void> {
    const settings = { ...this.definition.environment };
    for (const key of Object.keys(this.definition.variables ?? {})) delete settings[key];
    this.definition.environment = { ...variables, ...settings };
    this.definition.variables = { ...variables };
    await this.recycle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.recycle();
  }
}
