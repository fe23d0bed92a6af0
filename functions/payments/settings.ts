import { intEnv, requireEnv } from '#platform/env';
import { ConfigurationError } from '#platform/errors';

export interface PspSettings {
  /** Base URL of the PSP API, e.g. `https://.../v1/psp`. */
  baseUrl: string;
  timeoutMs: number;
  maxAttempts: number;
  /** Ceiling of the first retry backoff. */
  baseDelayMs: number;
}

/** PSP settings from `PSP_BASE_URL`, `PSP_TIMEOUT_MS` (2000), `PSP_MAX_ATTEMPTS` (3), `PSP_RETRY_BASE_MS` (100). */
export function pspSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PspSettings {
  const baseUrl = requireEnv('PSP_BASE_URL', env);
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (error) {
    throw new ConfigurationError(`PSP_BASE_URL must be an absolute URL, got "${baseUrl}"`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`PSP_BASE_URL must be an http(s) URL, got "${baseUrl}"`);
  }
  const settings = {
    baseUrl,
    timeoutMs: intEnv('PSP_TIMEOUT_MS', 2000, env),
    maxAttempts: intEnv('PSP_MAX_ATTEMPTS', 3, env),
    baseDelayMs: intEnv('PSP_RETRY_BASE_MS', 100, env),
  };
  if (settings.timeoutMs < 1) throw new ConfigurationError('PSP_TIMEOUT_MS must be at least 1');
  if (settings.maxAttempts < 1) throw new ConfigurationError('PSP_MAX_ATTEMPTS must be at least 1');
  return settings;
}
