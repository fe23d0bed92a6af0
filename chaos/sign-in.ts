import { existsSync, readFileSync } from 'node:fs';
import type { RuntimeInfo } from '#localstack/runtime/runtime-info';
import type { UserCredentials } from './client';
import { ChaosError } from './errors';

/** Who the tool signs in as: an app client of the user pool and the customers orders are placed for. */
export interface SignInOptions {
  clientId: string;
  customers: UserCredentials[];
}

/** Sign-in flags of the command line; each falls back to its environment variable. */
export interface SignInFlags {
  'user-pool-client-id'?: string | undefined;
  customers?: string | undefined;
}

/** The environment variables of the sign-in (the password only ever comes from the environment). */
export const SIGN_IN_ENV = {
  clientId: 'CHAOS_USER_POOL_CLIENT_ID',
  customers: 'CHAOS_CUSTOMERS',
  password: 'CHAOS_CUSTOMER_PASSWORD',
} as const;

/**
 * The sign-in of a deployed stage (or of a running local system without its info file): the app
 * client (`--user-pool-client-id` or CHAOS_USER_POOL_CLIENT_ID), the customers' usernames
 * (`--customers a,b` or CHAOS_CUSTOMERS) and their password (CHAOS_CUSTOMER_PASSWORD). The users must
 * exist and be confirmed; the app client must allow USER_PASSWORD_AUTH.
 */
export function signInFromFlags(flags: SignInFlags, env: NodeJS.ProcessEnv): SignInOptions {
  const clientId = (flags['user-pool-client-id'] ?? env[SIGN_IN_ENV.clientId] ?? '').trim();
  const usernames = (flags.customers ?? env[SIGN_IN_ENV.customers] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const password = env[SIGN_IN_ENV.password] ?? '';
  const missing = [
    ...(clientId ? [] : [`the app client (--user-pool-client-id or ${SIGN_IN_ENV.clientId})`]),
    ...(usernames.length > 0 ? [] : [`the customers (--customers or ${SIGN_IN_ENV.customers})`]),
    ...(password ? [] : [`their password (${SIGN_IN_ENV.password})`]),
  ];
  if (missing.length > 0)
    throw new ChaosError(`The API needs signed-in customers; missing ${missing.join(', ')}`);
  return {
    clientId,
    customers: [...new Set(usernames)].map((username) => ({ username, password })),
  };
}

/** The sign-in of a local runtime: its app client and every demo customer (not the admin). */
export function signInFromRuntimeInfo(info: RuntimeInfo): SignInOptions {
  const customers = (info.cognito?.users ?? [])
    .filter((user) => user.role === 'customer')
    .map((user) => ({ username: user.email, password: user.password }));
  if (!info.cognito || customers.length === 0)
    throw new ChaosError('The local runtime has no user pool with demo customers to sign in as');
  return { clientId: info.cognito.clientId, customers };
}

/** The info file of the `npm start` serving `apiUrl` (`.local/runtime.json`), when it wrote one. */
export function runtimeInfoFile(file: string, apiUrl: string): RuntimeInfo | undefined {
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  return info.apiUrl === apiUrl.replace(/\/+$/, '') ? info : undefined;
}
