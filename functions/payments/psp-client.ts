import { CircuitBreaker } from '#platform/circuit-breaker';
import { logger } from '#platform/powertools';
import { CircuitBreakingPaymentProvider, countsAgainstPsp } from './circuit-provider';
import { HttpPaymentProvider } from './http-provider';
import type { PaymentProvider } from './provider';

/** The PSP client settings of a payment function (`PSP_CLIENT_SETTINGS`), parsed. */
export interface PspClientEnv {
  readonly PSP_BASE_URL: string;
  readonly PSP_CIRCUIT_FAILURES: number;
  readonly PSP_CIRCUIT_OPEN_SECONDS: number;
}

/**
 * The PSP client of a payment function: the HTTP adapter behind one circuit breaker for the life of
 * the container. `onOpened` is told each time the circuit opens (to count it).
 */
export function pspClientOf(env: PspClientEnv, onOpened: () => void): PaymentProvider {
  const breaker = new CircuitBreaker({
    name: 'psp',
    failureThreshold: env.PSP_CIRCUIT_FAILURES,
    openMs: env.PSP_CIRCUIT_OPEN_SECONDS * 1000,
    isFailure: countsAgainstPsp,
    onStateChange: (change) => {
      logger.warn('PSP circuit changed state', { ...change });
      if (change.to === 'OPEN') onOpened();
    },
  });
  return new CircuitBreakingPaymentProvider(new HttpPaymentProvider(env.PSP_BASE_URL), breaker);
}
