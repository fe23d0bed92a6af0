import { DEMO_USERS } from './cognito';
import type { LocalRuntime } from './runtime';

/**
 * What `npm start` writes to `.local/runtime.json` while it runs, for the tools (`npm run demo`, the
 * benchmarks): where the API and the AWS APIs are, and how to sign in.
 */
export interface RuntimeInfo {
  apiUrl: string;
  /** Every REST API of the templates by its name (e.g. `OrderSaga-dev-shipping`): its local URL. */
  apis?: Record<string, string>;
  /** The names of the secrets the runtime's Secrets Manager endpoint (`controlPlaneUrl`) serves. */
  secrets?: string[];
  controlPlaneUrl: string;
  cognito?: {
    userPoolId: string;
    clientId: string;
    users: { email: string; password: string; role: 'customer' | 'admin' }[];
  };
}

/** The info of a running runtime: its first user pool and app client, and the demo users. */
export function runtimeInfoOf(runtime: LocalRuntime): RuntimeInfo {
  const pool = runtime.cognito?.pools[0];
  const clientId = pool ? [...pool.clients.keys()][0] : undefined;
  return {
    apiUrl: runtime.apiUrl,
    apis: Object.fromEntries(runtime.apis.map((api) => [api.name, api.url])),
    secrets: runtime.secrets?.names() ?? [],
    controlPlaneUrl: runtime.controlPlaneUrl,
    ...(pool && clientId
      ? {
          cognito: {
            userPoolId: pool.id,
            clientId,
            users: DEMO_USERS.map((user) => ({
              email: user.email,
              password: user.password,
              role: user.groups.includes('admins') ? ('admin' as const) : ('customer' as const),
            })),
          },
        }
      : {}),
  };
}
