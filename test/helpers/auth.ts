import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DEMO_PASSWORD, DEMO_USERS, type LocalUserPool } from '#localstack/runtime/cognito';
import type { LocalRuntime } from '#localstack/runtime/runtime';

/** The demo users of the local user pool: two customers and an admin. */
export const ALICE = DEMO_USERS[0]?.email ?? 'alice@example.com';
export const BOB = DEMO_USERS[1]?.email ?? 'bob@example.com';
export const ADMIN = DEMO_USERS[2]?.email ?? 'admin@example.com';

/** The runtime's user pool and its app client (the templates have one of each). */
export function userPoolOf(runtime: LocalRuntime): { pool: LocalUserPool; clientId: string } {
  const pool = runtime.cognito?.pools[0];
  const clientId = pool ? [...pool.clients.keys()][0] : undefined;
  if (!pool || !clientId) throw new Error('The local runtime has no user pool with an app client');
  return { pool, clientId };
}

/**
 * Signs a demo user in as a client would, through the Cognito API of the local runtime
 * (`InitiateAuth`, USER_PASSWORD_AUTH, with the AWS SDK), and returns the tokens.
 */
export async function signIn(runtime: LocalRuntime, email: string, password = DEMO_PASSWORD) {
  const { clientId } = userPoolOf(runtime);
  const client = new CognitoIdentityProviderClient({
    endpoint: runtime.controlPlaneUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { AuthenticationResult } = await client.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    if (!AuthenticationResult?.IdToken || !AuthenticationResult.AccessToken) {
      throw new Error(`Signing in ${email} returned no tokens`);
    }
    return { idToken: AuthenticationResult.IdToken, accessToken: AuthenticationResult.AccessToken };
  } finally {
    client.destroy();
  }
}

/** The ID token of a demo user. */
export async function idTokenOf(runtime: LocalRuntime, email: string): Promise<string> {
  return (await signIn(runtime, email)).idToken;
}

/** The `sub` of a demo user: the customer id of their orders. */
export function subOf(runtime: LocalRuntime, email: string): string {
  const user = userPoolOf(runtime).pool.users.get(email.toLowerCase());
  if (!user) throw new Error(`No demo user ${email}`);
  return user.sub;
}

/** The header a signed-in request carries (the ID token, as the Cognito authorizer wants it). */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A signed-in user: who it is and the headers of its requests. */
export interface Session {
  readonly email: string;
  readonly sub: string;
  readonly idToken: string;
  readonly headers: { authorization: string };
}

/**
 * A signed-in customer named `name`: a demo user (alice, bob), or a new user of the local pool
 * (`<name>@customers.example`), signed in through InitiateAuth like any client.
 */
export async function customer(runtime: LocalRuntime, name: string): Promise<Session> {
  const demo = DEMO_USERS.find((user) => user.email.startsWith(`${name}@`) && user.groups.length === 0);
  const email = demo?.email ?? `${name.toLowerCase()}@customers.example`;
  const { pool } = userPoolOf(runtime);
  if (!pool.users.has(email)) pool.addUser(email, DEMO_PASSWORD, []);
  const { idToken } = await signIn(runtime, email);
  return { email, sub: subOf(runtime, email), idToken, headers: bearer(idToken) };
}

/** The signed-in admin of the demo users (group `admins`). */
export async function admin(runtime: LocalRuntime): Promise<Session> {
  const { idToken } = await signIn(runtime, ADMIN);
  return { email: ADMIN, sub: subOf(runtime, ADMIN), idToken, headers: bearer(idToken) };
}
