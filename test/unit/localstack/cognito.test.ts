import { describe, expect, it } from 'vitest';
import { apiGatewayClaims, CognitoApiError, DEMO_PASSWORD, LocalCognito } from '#localstack/runtime/cognito';
import { localIdentity } from '#localstack/runtime/identity';
import { generateSigningKey, signJwt } from '#localstack/runtime/jwt';
import { Resolver } from '#localstack/runtime/resolve';
import type { StackTemplate } from '#localstack/runtime/template';

const ENDPOINT = 'http://127.0.0.1:4566';
const template: StackTemplate = {
  stackName: 'Identity',
  parameters: {},
  outputs: {},
  resources: {
    Pool: { Type: 'AWS::Cognito::UserPool', Properties: { UserPoolName: 'shop' } },
    Client: {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: {
        UserPoolId: { Ref: 'Pool' },
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        IdTokenValidity: 60,
        AccessTokenValidity: 60,
        TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes' },
      },
    },
    SrpOnly: {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: { UserPoolId: { Ref: 'Pool' }, ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH'] },
    },
    Admins: {
      Type: 'AWS::Cognito::UserPoolGroup',
      Properties: { UserPoolId: { Ref: 'Pool' }, GroupName: 'admins' },
    },
  },
};

const cognito = () => new LocalCognito([template], new Resolver([template], localIdentity), () => ENDPOINT);
const clientIdOf = (_local: LocalCognito, logicalId: string) =>
  new Resolver([template], localIdentity).resolveString(template, { Ref: logicalId });
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

function signInAlice(local: LocalCognito, now?: Date) {
  const pool = local.pools[0];
  if (!pool) throw new Error('no pool');
  return pool.initiateAuth(
    {
      ClientId: clientIdOf(local, 'Client'),
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'Alice@Example.com', PASSWORD: DEMO_PASSWORD },
    },
    now,
  );
}

describe('Class: LocalCognito', () => {
  it('reads the pool, its app clients and groups from the template, with stable local ids', () => {
    // Act
    const [first, second] = [cognito(), cognito()];

    // Assess
    expect(first.pools).toHaveLength(1);
    const pool = first.pools[0];
    expect(pool?.id).toMatch(/^us-east-1_[A-Za-z0-9]{9}$/);
    expect(pool?.id).toBe(second.pools[0]?.id);
    expect(pool?.arn).toBe(`arn:aws:cognito-idp:us-east-1:000000000000:userpool/${pool?.id}`);
    expect([...(pool?.clients.keys() ?? [])]).toEqual([
      clientIdOf(first, 'Client'),
      clientIdOf(first, 'SrpOnly'),
    ]);
    expect([...(pool?.groups ?? [])]).toEqual(['admins']);
    expect([...(pool?.users.values() ?? [])].map((user) => [user.email, user.groups])).toEqual([
      ['alice@example.com', []],
      ['bob@example.com', []],
      ['admin@example.com', ['admins']],
    ]);
  });

  it('signs a user in with USER_PASSWORD_AUTH and issues Cognito-shaped ID and access tokens', () => {
    // Prepare
    const local = cognito();
    const now = new Date('2026-01-01T12:00:00Z');

    // Act
    const result = signInAlice(local, now);

    // Assess
    const pool = local.pools[0];
    const id = payloadOf(result.IdToken);
    const access = payloadOf(result.AccessToken);
    expect(result).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer', RefreshToken: expect.any(String) });
    expect(id).toMatchObject({
      iss: `${ENDPOINT}/${pool?.id}`,
      aud: clientIdOf(local, 'Client'),
      token_use: 'id',
      email: 'alice@example.com',
      iat: 1_767_268_800,
      exp: 1_767_268_800 + 3600,
    });
    expect(access).toMatchObject({ client_id: clientIdOf(local, 'Client'), token_use: 'access' });
    expect(id.sub).toBe(access.sub);
    expect(id).not.toHaveProperty('cognito:groups');
  });

  it('puts the admins group into the admin’s tokens', () => {
    // Prepare
    const local = cognito();

    // Act
    const result = local.handle('InitiateAuth', {
      ClientId: clientIdOf(local, 'Client'),
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'admin@example.com', PASSWORD: DEMO_PASSWORD },
    }) as { AuthenticationResult: { IdToken: string } };

    // Assess
    expect(payloadOf(result.AuthenticationResult.IdToken)['cognito:groups']).toEqual(['admins']);
  });

  it.each([
    [
      'a wrong password',
      { USERNAME: 'alice@example.com', PASSWORD: 'wrong' },
      'Client',
      'NotAuthorizedException',
    ],
    [
      'an unknown user (no user existence errors)',
      { USERNAME: 'x@example.com', PASSWORD: DEMO_PASSWORD },
      'Client',
      'NotAuthorizedException',
    ],
    [
      'a client without USER_PASSWORD_AUTH',
      { USERNAME: 'alice@example.com', PASSWORD: DEMO_PASSWORD },
      'SrpOnly',
      'InvalidParameterException',
    ],
  ])('refuses %s', (_, parameters, client, type) => {
    // Prepare
    const local = cognito();

    // Act
    const act = () =>
      local.handle('InitiateAuth', {
        ClientId: clientIdOf(local, client),
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: parameters,
      });

    // Assess
    expect(act).toThrow(CognitoApiError);
    expect(act).toThrow(expect.objectContaining({ type }));
  });

  it('answers an unknown app client with ResourceNotFoundException', () => {
    // Act
    const act = () => cognito().handle('InitiateAuth', { ClientId: 'nope', AuthFlow: 'USER_PASSWORD_AUTH' });

    // Assess
    expect(act).toThrow(expect.objectContaining({ type: 'ResourceNotFoundException' }));
  });

  it('issues new tokens for a refresh token of the same client', () => {
    // Prepare
    const local = cognito();
    const first = signInAlice(local);

    // Act
    const refreshed = local.pools[0]?.initiateAuth({
      ClientId: clientIdOf(local, 'Client'),
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: first.RefreshToken },
    });

    // Assess
    expect(payloadOf(refreshed?.IdToken ?? '').sub).toBe(payloadOf(first.IdToken).sub);
    expect(refreshed).not.toHaveProperty('RefreshToken');
  });
});

describe('Method: LocalUserPool.verifyIdToken (API Gateway Cognito authorizer)', () => {
  it('accepts its own ID token and passes the claims as API Gateway does: strings, dates as text', () => {
    // Prepare
    const local = cognito();
    const token = signInAlice(local).IdToken;

    // Act
    const checked = local.pools[0]?.verifyIdToken(token);

    // Assess
    expect(checked).toMatchObject({
      ok: true,
      claims: {
        email: 'alice@example.com',
        token_use: 'id',
        email_verified: 'true',
        exp: expect.stringMatching(/^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/),
      },
    });
  });

  it.each([
    ['a malformed token', () => 'a.b', 'MALFORMED'],
    [
      'alg none',
      (claims: Record<string, unknown>, key: Parameters<typeof signJwt>[1]) =>
        signJwt(claims, key, { header: { alg: 'none' }, unsigned: true }),
      'UNSUPPORTED_ALGORITHM',
    ],
    [
      'another key with the same kid',
      (claims: Record<string, unknown>, key: Parameters<typeof signJwt>[1]) =>
        signJwt(claims, generateSigningKey(key.kid)),
      'BAD_SIGNATURE',
    ],
    [
      'an unknown kid',
      (claims: Record<string, unknown>) => signJwt(claims, generateSigningKey('other')),
      'UNKNOWN_KEY',
    ],
    [
      'an expired token',
      (claims: Record<string, unknown>, key: Parameters<typeof signJwt>[1]) =>
        signJwt({ ...claims, exp: 1 }, key),
      'EXPIRED',
    ],
    [
      'another issuer',
      (claims: Record<string, unknown>, key: Parameters<typeof signJwt>[1]) =>
        signJwt({ ...claims, iss: 'https://evil' }, key),
      'WRONG_ISSUER',
    ],
    [
      'another app client',
      (claims: Record<string, unknown>, key: Parameters<typeof signJwt>[1]) =>
        signJwt({ ...claims, aud: 'other' }, key),
      'UNKNOWN_CLIENT',
    ],
    [
      'an access token',
      (claims: Record<string, unknown>, key: Parameters<typeof signJwt>[1]) =>
        signJwt({ ...claims, token_use: 'access' }, key),
      'NOT_AN_ID_TOKEN',
    ],
  ] as const)('refuses %s', (_, forge, reason) => {
    // Prepare
    const local = cognito();
    const pool = local.pools[0];
    if (!pool) throw new Error('no pool');
    const claims = payloadOf(signInAlice(local).IdToken);

    // Act
    const checked = pool.verifyIdToken(forge(claims, pool.key));

    // Assess
    expect(checked).toEqual({ ok: false, reason });
  });
});

describe('Function: apiGatewayClaims', () => {
  it('joins lists with commas and renders numbers as text', () => {
    // Act
    const claims = apiGatewayClaims({ 'cognito:groups': ['admins', 'staff'], auth_time: 5, exp: 0 });

    // Assess
    expect(claims).toEqual({
      'cognito:groups': 'admins,staff',
      auth_time: '5',
      exp: 'Thu Jan 01 00:00:00 UTC 1970',
    });
  });
});
