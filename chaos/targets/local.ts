import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRuntime } from '#localstack/runtime/runtime';
import { runtimeInfoOf } from '#localstack/runtime/runtime-info';
import { ensureSynthesized } from '#localstack/runtime/synth';
import { ChaosError } from '../errors';
import {
  runtimeInfoFile,
  type SignInFlags,
  type SignInOptions,
  signInFromFlags,
  signInFromRuntimeInfo,
} from '../sign-in';
import type { Target } from './target';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LocalTargetOptions {
  /** Attach to a running system (`npm start`) instead of starting one. */
  controlPlaneUrl?: string;
  apiUrl?: string;
  dynamoDbEndpoint?: string;
  /** Time scale of a runtime the tool starts (schedules, Step Functions waits, batching windows). */
  timeScale: number;
  /**
   * Sign-in flags for a running system; without them, the demo customers of its info file
   * (`.local/runtime.json`, written by `npm start`).
   */
  signIn: SignInFlags;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/**
 * The local runtime: started by the tool from cdk.out (free ports, its function log under
 * `.local/chaos/`), or a running one given by its endpoints. Everything is reached through the
 * endpoints, as on AWS; the runtime object only adds what the relays gave up on to the notes. Orders
 * are placed by the demo customers of the local user pool, signed in through its Cognito API.
 */
export async function localTarget(options: LocalTargetOptions): Promise<Target> {
  if (options.controlPlaneUrl || options.apiUrl || options.dynamoDbEndpoint) {
    const { controlPlaneUrl, apiUrl, dynamoDbEndpoint } = options;
    if (!controlPlaneUrl || !apiUrl || !dynamoDbEndpoint)
      throw new ChaosError(
        'Attaching to a running system needs --control-plane-url, --api-url and --dynamodb-endpoint',
      );
    return {
      name: 'local',
      apiUrl,
      access: { controlPlaneUrl, dynamoDbEndpoint },
      signIn: attachedSignIn(apiUrl, options),
      localFaultsUrl: controlPlaneUrl,
      stop: async () => {},
    };
  }
  await ensureSynthesized(ROOT, options.log);
  const logDir = join(ROOT, '.local', 'chaos');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, 'functions.log');
  options.log(`Starting the local runtime (time scale ${options.timeScale}, function logs: ${logFile}) ...`);
  const started = Date.now();
  const runtime = await LocalRuntime.start({
    cdkOut: join(ROOT, 'cdk.out'),
    apiPort: 0,
    logFile,
    timeScale: options.timeScale,
    runSchedules: true,
  });
  options.log(
    `  started in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${runtime.apiUrl}, AWS APIs ${runtime.controlPlaneUrl}`,
  );
  let signIn: SignInOptions;
  try {
    signIn = signInFromRuntimeInfo(runtimeInfoOf(runtime));
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  let reported = 0;
  return {
    name: 'local',
    apiUrl: runtime.apiUrl,
    access: { controlPlaneUrl: runtime.controlPlaneUrl, dynamoDbEndpoint: runtime.dynamoEndpoint },
    signIn,
    localFaultsUrl: runtime.controlPlaneUrl,
    observe: () => {
      const discarded = runtime.mappings.reduce((sum, mapping) => sum + mapping.discarded.length, 0);
      const since = discarded - reported;
      reported = discarded;
      return since > 0 ? `the relays gave up on ${since} stream batches (on-failure records)` : undefined;
    },
    stop: () => runtime.stop(),
  };
}

/** The sign-in of a running system: the flags (or environment) when given, else its info file. */
function attachedSignIn(apiUrl: string, options: LocalTargetOptions): SignInOptions {
  const { signIn, env } = options;
  if (signIn['user-pool-client-id'] || signIn.customers || env.CHAOS_USER_POOL_CLIENT_ID)
    return signInFromFlags(signIn, env);
  const info = runtimeInfoFile(join(ROOT, '.local', 'runtime.json'), apiUrl);
  if (!info)
    throw new ChaosError(
      `No .local/runtime.json of the npm start serving ${apiUrl}: give --user-pool-client-id and --customers (and CHAOS_CUSTOMER_PASSWORD)`,
    );
  return signInFromRuntimeInfo(info);
}
