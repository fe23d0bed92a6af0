import { CircuitBreaker } from '#platform/circuit-breaker';
import { logger } from '#platform/powertools';
import { Secrets } from '#platform/secrets';
import { CircuitBreakingPaymentProvider, countsAgainstPsp } from './circuit-provider';
import { HttpPaymentProvider } from './http-provider';
import type { PaymentProvider } from './provider';

/** The PSP client settings of a payment function (`PSP_CLIENT_SETTINGS`), parsed. */
export interface PspClientEnv {
  readonly PSP_BASE_URL: string;
  /** The Secrets Manager secret with the PSP API key. */
  readonly PSP_API_KEY_SECRET: string;
  readonly PSP_CIRCUIT_FAILURES: number;
  readonly PSP_CIRCUIT_OPEN_SECONDS: number;
}

/**
 * The PSP client of a payment function: the HTTP adapter, authenticated with the API key read from
 * Secrets Manager (Powertools Parameters, cached), behind one circuit breaker for the life of the
 * container. `onOpened` is told each time the circuit opens (to count it).
 */
export function pspClientOf(
  env: PspClientEnv,
  onOpened: () => void,
  secrets: Pick<Secrets, 'text'> = new Secrets(),
): PaymentProvider {
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
  const apiKey = ({ refresh }: { refresh: boolean }) => secrets.text(env.PSP_API_KEY_SECRET, { refresh });
  return new CircuitBreakingPaymentProvider(new HttpPaymentProvider(env.PSP_BASE_URL, apiKey), breaker);
}
