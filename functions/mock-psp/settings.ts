import { intEnv, optionalEnv } from '#platform/env';
import { ConfigurationError } from '#platform/errors';
import type { MockPspSettings } from './mock-psp';

function rateEnv(name: string, env: NodeJS.ProcessEnv): number {
  const raw = optionalEnv(name, '0', env);
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigurationError(`Environment variable ${name} must be a number from 0 to 1, got "${raw}"`);
  }
  return value;
}

/**
 * Mock PSP settings: `PSP_TIMEOUT_DELAY_MS` (5000), `PSP_SLOW_DELAY_MS` (800), `PSP_FAULT_RATE_5XX` and
 * `PSP_FAULT_RATE_TIMEOUT` (0..1, default 0).
 */
export function mockPspSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MockPspSettings {
  return {
    timeoutDelayMs: intEnv('PSP_TIMEOUT_DELAY_MS', 5000, env),
    slowDelayMs: intEnv('PSP_SLOW_DELAY_MS', 800, env),
    faultRate5xx: rateEnv('PSP_FAULT_RATE_5XX', env),
    faultRateTimeout: rateEnv('PSP_FAULT_RATE_TIMEOUT', env),
  };
}
