import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EngineStartError } from './errors';

/** How an engine process ended. `error` is set when it could not be spawned at all. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export type OutputStream = 'stdout' | 'stderr';
export type LineListener = (line: string, stream: OutputStream) => void;

export interface SpawnEngineOptions {
  /** Name used in error messages, e.g. `DynamoDB Local`. */
  engine: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `pipe` to write to the child's stdin with {@link EngineProcess.writeLine}; default `ignore`. */
  stdin?: 'pipe' | 'ignore';
  /** How many of the most recent output lines (stdout and stderr) to keep for error messages; default 50. */
  keepLines?: number;
}

/**
 * On Linux, children are started through `setpriv --pdeathsig KILL` when available: the kernel then kills
 * them when this process dies in any way, including SIGKILL, where no exit handler runs.
 */
let pdeathsig: Promise<boolean> | undefined;
const supportsPdeathsig = (): Promise<boolean> => {
  pdeathsig ??= new Promise<boolean>((resolve) => {
    if (process.platform !== 'linux') {
      resolve(false);
      return;
    }
    execFile('setpriv', ['--help'], { timeout: 5000 }, (error, stdout) => {
      resolve(!error && stdout.includes('--pdeathsig'));
    });
  });
  return pdeathsig;
};

export interface StopOptions {
  /** Asks the process to exit on its own (e.g. a `quit` command); it gets `graceMs` to do so before SIGTERM. */
  graceful?: () => void;
  /** Default 2000 ms. */
  graceMs?: number;
  /** Time between SIGTERM and SIGKILL; default 5000 ms. */
  termMs?: number;
}

/** Children that are still running; killed when this process exits so that none is orphaned. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

const killRunningChildren = (): void => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // The child is already gone; nothing left to clean up.
    }
  }
  running.clear();
};

const installExitHook = (): void => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killRunningChildren);
};

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const describeExit = (exit: ExitInfo): string => {
  if (exit.error) return `could not be spawned (${exit.error.message})`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
};

/**
 * A child process running a local engine: keeps its recent output for error messages, waits for
 * readiness with a deadline, and stops it (graceful request, then SIGTERM, then SIGKILL).
 */
export class EngineProcess {
  readonly engine: string;
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output streams are closed. */
  readonly exited: Promise<ExitInfo>;

  private readonly keepLines: number;
  private readonly lines: string[] = [];
  private readonly listeners = new Set<LineListener>();
  private exitInfo: ExitInfo | undefined;

  private constructor(options: SpawnEngineOptions, dieWithParent: boolean) {
    this.engine = options.engine;
    this.keepLines = options.keepLines ?? 50;
    installExitHook();

    const [command, args] = dieWithParent
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', options.command, ...options.args]]
      : [options.command, options.args];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);

    let spawnError: Error | undefined;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('error', (error) => {
        // Emitted when spawning fails; `close` follows.
        spawnError = error;
      });
      child.once('close', (code, signal) => {
        running.delete(child);
        const info: ExitInfo = spawnError ? { code, signal, error: spawnError } : { code, signal };
        this.exitInfo = info;
        resolve(info);
      });
    });

    child.stdin?.on('error', () => {
      // Writing to a child that has exited fails with EPIPE; the exit itself is reported through `exited`.
    });
    this.readLines(child.stdout, 'stdout');
    this.readLines(child.stderr, 'stderr');
  }

  /**
   * Spawns the process; spawn failures (e.g. a missing executable) surface through {@link exited} and
   * {@link waitUntilReady}. The child is killed when this process exits.
   */
  static async spawn(options: SpawnEngineOptions): Promise<EngineProcess> {
    return new EngineProcess(options, await supportsPdeathsig());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Set once the process has exited. */
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** The most recent output lines, oldest first, prefixed with the stream they came from. */
  recentOutput(): string[] {
    return [...this.lines];
  }

  /** Calls `listener` for every further output line; returns a function that unsubscribes it. */
  onLine(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Writes one line to the child's stdin (spawned with `stdin: 'pipe'`). */
  writeLine(line: string): void {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) {
      throw new Error(`${this.engine}: stdin is not writable`);
    }
    stdin.write(`${line}\n`);
  }

  /** Closes the child's stdin, which tells programs that read commands from it that no more will come. */
  endInput(): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed) stdin.end();
  }

  /** An {@link EngineStartError} carrying the recent output. */
  startError(message: string, cause?: unknown): EngineStartError {
    return new EngineStartError(
      this.engine,
      message,
      this.recentOutput(),
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * Calls `probe` every `intervalMs` until it returns true. Throws an {@link EngineStartError} with the
   * recent output if the process exits first or `timeoutMs` passes; probe errors count as "not ready yet"
   * and the last one becomes the cause.
   */
  async waitUntilReady(
    probe: () => Promise<boolean>,
    { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      this.throwIfExited();
      try {
        if (await probe()) return;
      } catch (error) {
        lastError = error;
      }
      this.throwIfExited();
      if (Date.now() >= deadline) {
        const detail = lastError instanceof Error ? ` (last probe error: ${lastError.message})` : '';
        throw this.startError(`not ready after ${timeoutMs} ms${detail}`, lastError);
      }
      await Promise.race([delay(intervalMs), this.exited]);
    }
  }

  private throwIfExited(): void {
    const exit = this.exitInfo;
    if (exit) throw this.startError(`the process ${describeExit(exit)}`, exit.error);
  }

  /** Resolves true once the process has exited, false if it is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.exitInfo) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.exited.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the process and resolves once it has exited: the optional graceful request first, then
   * SIGTERM, then SIGKILL. Safe to call more than once.
   */
  async stop({ graceful, graceMs = 2000, termMs = 5000 }: StopOptions = {}): Promise<void> {
    if (this.exitInfo) return;
    if (graceful) {
      try {
        graceful();
      } catch {
        // The process cannot take the request (e.g. stdin already closed); fall through to signals.
      }
      if (await this.waitForExit(graceMs)) return;
    }
    this.child.kill('SIGTERM');
    if (await this.waitForExit(termMs)) return;
    this.child.kill('SIGKILL');
    if (await this.waitForExit(5000)) return;
    throw new Error(`${this.engine} (pid ${this.pid}) did not exit after SIGKILL`);
  }

  private readLines(stream: NodeJS.ReadableStream | null, name: OutputStream): void {
    if (!stream) return;
    const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    reader.on('line', (line) => {
      this.lines.push(`[${name}] ${line}`);
      if (this.lines.length > this.keepLines) this.lines.splice(0, this.lines.length - this.keepLines);
      for (const listener of this.listeners) listener(line, name);
    });
  }
}
