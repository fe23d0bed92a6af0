import { type CircuitBreaker, CircuitOpenError } from '#platform/circuit-breaker';
import {
  type AuthorizationRequest,
  type CallOptions,
  type PaymentProvider,
  type PaymentStatusResult,
  PspCircuitOpenError,
  PspConflictError,
  type PspPayment,
  PspTransientError,
} from './provider';

/**
 * Whether a PSP error counts against the PSP in its circuit: failures to get an answer (5xx, 429,
 * timeouts, network, rejected credentials). A conflict or a rejected request is an answer.
 */
export const countsAgainstPsp = (error: unknown): boolean =>
  error instanceof PspTransientError && !(error instanceof PspConflictError);

/**
 * A `PaymentProvider` behind a circuit breaker (kept per container, like the notification providers'):
 * every call goes through `breaker`; while it is open, calls fail fast with `PspCircuitOpenError`, a
 * `PspTransientError`, so callers treat it as the PSP being unavailable: an authorization hands the
 * payment to status checks, a status check counts as not settled yet, a release is left for later.
 */
export class CircuitBreakingPaymentProvider implements PaymentProvider {
  constructor(
    private readonly inner: PaymentProvider,
    private readonly breaker: CircuitBreaker,
  ) {}

  authorize(request: AuthorizationRequest, options: CallOptions): Promise<PspPayment> {
    return this.guard(() => this.inner.authorize(request, options));
  }

  getStatus(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult> {
    return this.guard(() => this.inner.getStatus(paymentId, options));
  }

  void(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult> {
    return this.guard(() => this.inner.void(paymentId, options));
  }

  refund(paymentId: string, options: { timeoutMs: number }): Promise<PaymentStatusResult> {
    return this.guard(() => this.inner.refund(paymentId, options));
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(call);
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        throw new PspCircuitOpenError(`PSP call not made: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}
