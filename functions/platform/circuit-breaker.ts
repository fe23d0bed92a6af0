import { RetryableError } from './errors';

/** States of a circuit breaker. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface CircuitBreakerOptions {
  /** Names the protected dependency in errors and logs, e.g. the provider name. */
  readonly name: string;
  /** Failures within `windowMs` that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** Sliding window in which failures are counted. @default 60_000 */
  readonly windowMs?: number;
  /** How long an open circuit fails calls fast before it lets one trial call through. @default 30_000 */
  readonly openMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /**
   * Whether an error counts against the dependency. An error that proves the dependency answered (a
   * rejected request, say) should not open the circuit. @default every error counts
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** Called on every state change, e.g. to log it. */
  readonly onStateChange?: (change: { name: string; from: CircuitState; to: CircuitState }) => void;
}

/**
 * A call was refused without reaching the dependency because its circuit is open (or its half-open
 * trial call is still running). Retryable: the same call may go through once the circuit closes.
 */
export class CircuitOpenError extends RetryableError {
  readonly code = 'CIRCUIT_OPEN';

  constructor(
    readonly circuit: string,
    /** Milliseconds until the circuit lets a trial call through; 0 while a trial call runs. */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      retryAfterMs > 0
        ? `Circuit ${circuit} is open; calls fail fast for another ${retryAfterMs} ms`
        : `Circuit ${circuit} is half-open and its trial call is still running`,
      options,
    );
  }
}

/**
 * A circuit breaker for one dependency, kept per container:
 *
 * - CLOSED: calls go through; failures are remembered for `windowMs`. When `failureThreshold`
 *   failures fall within the window, the circuit opens.
 * - OPEN: calls fail fast with `CircuitOpenError` for `openMs`, then the circuit is half-open.
 * - HALF_OPEN: exactly one trial call goes through (others fail fast). If it succeeds, or fails with
 *   an error that does not count (`isFailure`), the circuit closes with a clean slate; if it fails,
 *   the circuit opens again for `openMs`.
 *
 * Time only comes from the injected clock, so behaviour is deterministic in tests.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly failureThreshold: number;
  private readonly windowMs: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly onStateChange: CircuitBreakerOptions['onStateChange'];

  private current: CircuitState = 'CLOSED';
  /** Times of the failures counted while closed, oldest first. */
  private failures: number[] = [];
  private openedAt = 0;
  private trialRunning = false;

  constructor(options: CircuitBreakerOptions) {
    this.name = options.name;
    this.failureThreshold = options.failureThreshold ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.openMs = options.openMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.isFailure = options.isFailure ?? (() => true);
    this.onStateChange = options.onStateChange;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    }
    for (const [key, value] of [
      ['windowMs', this.windowMs],
      ['openMs', this.openMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new RangeError(`${key} must be a positive number of milliseconds, got ${value}`);
      }
    }
  }

  /** The state as of now: an open circuit whose time is up reports HALF_OPEN. */
  get state(): CircuitState {
    if (this.current === 'OPEN' && this.now() - this.openedAt >= this.openMs) return 'HALF_OPEN';
    return this.current;
  }

  /** Failures currently counted towards opening the circuit. */
  get recentFailures(): number {
    this.prune(this.now());
    return this.failures.length;
  }

  /**
   * Runs `operation` unless the circuit refuses it (`CircuitOpenError`). The operation's own result or
   * error is passed through unchanged.
   */
  async execute<T>(operation: () => Promise<T>): Promise<T> {
    const trial = this.admit();
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      this.recordError(error, trial);
      throw error;
    }
    if (trial) this.close();
    return result;
  }

  /** Decides whether a call may go through; returns true when it is the half-open trial call. */
  private admit(): boolean {
    const now = this.now();
    if (this.current === 'OPEN') {
      const remaining = this.openedAt + this.openMs - now;
      if (remaining > 0) throw new CircuitOpenError(this.name, remaining);
      this.transition('HALF_OPEN');
    }
    if (this.current === 'HALF_OPEN') {
      if (this.trialRunning) throw new CircuitOpenError(this.name, 0);
      this.trialRunning = true;
      return true;
    }
    return false;
  }

  private recordError(error: unknown, trial: boolean): void {
    const counts = this.isFailure(error);
    if (trial) {
      if (counts) this.open();
      else this.close();
      return;
    }
    // A call admitted while closed can finish after the circuit opened; it changes nothing then.
    if (!counts || this.current !== 'CLOSED') return;
    const now = this.now();
    this.failures.push(now);
    this.prune(now);
    if (this.failures.length >= this.failureThreshold) this.open();
  }

  private open(): void {
    this.openedAt = this.now();
    this.failures = [];
    this.trialRunning = false;
    this.transition('OPEN');
  }

  private close(): void {
    this.failures = [];
    this.trialRunning = false;
    this.transition('CLOSED');
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs;
    while (this.failures.length > 0 && (this.failures[0] ?? now) <= oldest) this.failures.shift();
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.onStateChange?.({ name: this.name, from, to });
  }
}
