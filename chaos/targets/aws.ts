import { ChaosError } from '../errors';
import type { Target } from './target';

export interface AwsTargetOptions {
  apiUrl?: string;
  region?: string;
}

/**
 * A deployed stage: the AWS SDK's credentials and region from the environment, the stage's REST API
 * by its URL (the `ApiUrl` output of the orders stack, or a custom domain).
 */
export function awsTarget(options: AwsTargetOptions): Target {
  if (!options.apiUrl)
    throw new ChaosError('--target aws needs --api-url, the base URL of the stage’s REST API');
  return {
    name: 'aws',
    apiUrl: options.apiUrl.replace(/\/$/, ''),
    access: { ...(options.region ? { region: options.region } : {}) },
    stop: async () => {},
  };
}
