/** How the tools sign in: the Cognito API (InitiateAuth, USER_PASSWORD_AUTH) of a local runtime. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeInfo } from '../localstack/runtime/runtime-info';

export { type RuntimeInfo, runtimeInfoOf } from '../localstack/runtime/runtime-info';

export const RUNTIME_INFO_FILE = (root: string) => join(root, '.local', 'runtime.json');

/** The `npm start` running with `apiUrl`, when it wrote its info file. */
export function runningLocalStack(root: string, apiUrl: string): RuntimeInfo | undefined {
  const file = RUNTIME_INFO_FILE(root);
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  return info.apiUrl === apiUrl.replace(/\/+$/, '') ? info : undefined;
}

/** Signs in with `InitiateAuth` (USER_PASSWORD_AUTH) at a Cognito endpoint; returns the ID token. */
export async function initiateAuth(
  endpoint: string,
  clientId: string,
  username: string,
  password: string,
): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = (await response.json()) as { AuthenticationResult?: { IdToken?: string }; message?: string };
  const token = body.AuthenticationResult?.IdToken;
  if (!response.ok || !token)
    throw new Error(`Signing in ${username} failed: ${body.message ?? response.status}`);
  return token;
}

/** The ID token of the first demo user of `role` of a local runtime. */
export async function signInAs(info: RuntimeInfo, role: 'customer' | 'admin'): Promise<string> {
  const user = info.cognito?.users.find((candidate) => candidate.role === role);
  if (!info.cognito || !user) throw new Error(`The local stack has no ${role} to sign in as`);
  return initiateAuth(info.controlPlaneUrl, info.cognito.clientId, user.email, user.password);
}
