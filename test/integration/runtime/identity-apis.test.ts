import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { JwtVerifier } from 'aws-jwt-verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, LocalCognito } from '#localstack/runtime/cognito';
import { ControlPlane } from '#localstack/runtime/control-plane';
import { localIdentity } from '#localstack/runtime/identity';
import { LogSink } from '#localstack/runtime/logs';
import { Resolver } from '#localstack/runtime/resolve';
import { LocalSecrets } from '#localstack/runtime/secrets';
import type { StackTemplate } from '#localstack/runtime/template';

const SDK_CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const template: StackTemplate = {
  stackName: 'Identity',
  parameters: {},
  outputs: {},
  resources: {
    Pool: { Type: 'AWS::Cognito::UserPool', Properties: {} },
    Client: {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: { UserPoolId: { Ref: 'Pool' }, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'] },
    },
    ApiKey: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { PasswordLength: 32 } },
    },
  },
};

/** The Cognito and Secrets Manager APIs of the control plane, called with the AWS SDK as tools do. */
describe('Class: ControlPlane (Cognito and Secrets Manager)', () => {
  const resolver = new Resolver([template], localIdentity);
  let plane: ControlPlane;
  let url = '';
  let cognito: LocalCognito;
  let secrets: LocalSecrets;

  beforeAll(async () => {
    cognito = new LocalCognito([template], resolver, () => url);
    secrets = new LocalSecrets([template], resolver);
    plane = new ControlPlane(
      { functions: () => [], mappings: () => [], cognito, secrets },
      new LogSink(undefined, false),
    );
    url = await plane.listen(0);
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('signs a demo user in with InitiateAuth, and the ID token verifies against the pool’s JWKS', async () => {
    // Prepare
    const clientId = resolver.resolveString(template, { Ref: 'Client' });
    const client = new CognitoIdentityProviderClient({ ...SDK_CONFIG, endpoint: url });
    const pool = cognito.pools[0];
    if (!pool) throw new Error('no pool');

    // Act
    const { AuthenticationResult } = await client.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice@example.com', PASSWORD: DEMO_PASSWORD },
      }),
    );
    const jwks = await (await fetch(`${url}/${pool.id}/.well-known/jwks.json`)).json();
    const discovery = await (await fetch(`${url}/${pool.id}/.well-known/openid-configuration`)).json();
    const verifier = JwtVerifier.create({
      issuer: pool.issuer,
      audience: clientId,
      jwksUri: `${pool.issuer}/.well-known/jwks.json`,
    });
    verifier.cacheJwks(jwks as never);
    const payload = await verifier.verify(AuthenticationResult?.IdToken ?? '');

    // Assess
    expect(payload).toMatchObject({ email: 'alice@example.com', token_use: 'id', iss: `${url}/${pool.id}` });
    expect(discovery).toMatchObject({
      issuer: pool.issuer,
      jwks_uri: `${pool.issuer}/.well-known/jwks.json`,
    });
    client.destroy();
  });

  it('answers a wrong password with the NotAuthorizedException the SDK raises', async () => {
    // Prepare
    const client = new CognitoIdentityProviderClient({ ...SDK_CONFIG, endpoint: url });

    // Act
    const attempt = client.send(
      new InitiateAuthCommand({
        ClientId: resolver.resolveString(template, { Ref: 'Client' }),
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice@example.com', PASSWORD: 'wrong' },
      }),
    );

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    client.destroy();
  });

  it('serves GetSecretValue for the template’s secrets and ResourceNotFoundException for others', async () => {
    // Prepare
    const client = new SecretsManagerClient({ ...SDK_CONFIG, endpoint: url });
    const arn = resolver.resolveString(template, { Ref: 'ApiKey' });

    // Act
    const found = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const missing = client.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' }));

    // Assess
    expect(found.SecretString).toBe(secrets.value(arn));
    expect(found.ARN).toBe(arn);
    await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    client.destroy();
  });
});
