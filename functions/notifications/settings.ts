import { optionalEnv } from '#platform/env';
import { ConfigurationError } from '#platform/errors';

export interface NotificationSettings {
  /** Probability (0..1) of a random transient failure of each mock provider call. */
  failureRate: number;
}

/** Settings from `NOTIFY_FAILURE_RATE` (0..1, default 0); anything else fails the cold start. */
export function notificationSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): NotificationSettings {
  const raw = optionalEnv('NOTIFY_FAILURE_RATE', '0', env);
  const failureRate = Number(raw);
  if (!Number.isFinite(failureRate) || failureRate < 0 || failureRate > 1) {
    throw new ConfigurationError(
      `Environment variable NOTIFY_FAILURE_RATE must be a number from 0 to 1, got "${raw}"`,
    );
  }
  return { failureRate };
}
