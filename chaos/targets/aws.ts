import { ChaosError } from '../errors';
import { type SignInFlags, signInFromFlags } from '../sign-in';
import type { Target } from './target';

export interface AwsTargetOptions {
  apiUrl?: string;
  region?: string;
  /** The customers' sign-in (the environment fills what the flags leave out). */
  signIn: SignInFlags;
  env: NodeJS.ProcessEnv;
}

/**
 * A deployed stage: the AWS SDK's credentials and region from the environment, the stage's REST API
 * by its URL (the `ApiUrl` output of the orders stack, or a custom domain), customers signed in
 * through the stage's user pool (`InitiateAuth`) with the credentials given by flags or environment.
 */
export function awsTarget(options: AwsTargetOptions): Target {
  if (!options.apiUrl)
    throw new ChaosError('--target aws needs --api-url, the base URL of the stage’s REST API');
  return {
    name: 'aws',
    apiUrl: options.apiUrl.replace(/\/$/, ''),
    access: { ...(options.region ? { region: options.region } : {}) },
    signIn: signInFromFlags(options.signIn, options.env),
    stop: async () => {},
  };
}
