import { JwtVerifier } from 'aws-jwt-verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeToken, type TokenVerifier } from '#functions/identity/authorize-token';
import { generateSigningKey, type SigningKey, signJwt } from '#localstack/runtime/jwt';

const ISSUER = 'https://login.example.com';
const AUDIENCE = 'storefront';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:api123/v1/GET/orders';

let key: SigningKey;
let otherKey: SigningKey;
let verifier: TokenVerifier;

const now = () => Math.floor(Date.now() / 1000);
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-1',
  email: 'ana@example.com',
  groups: ['admins', 'staff'],
  iat: now() - 10,
  exp: now() + 600,
  ...overrides,
});
const authorize = (authorizationToken: string) =>
  authorizeToken(verifier, { authorizationToken, methodArn: METHOD_ARN });

describe('Function: authorizeToken (OpenID Connect issuer)', () => {
  beforeAll(() => {
    key = generateSigningKey('key-1');
    otherKey = generateSigningKey('key-1');
    const jwtVerifier = JwtVerifier.create({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
    });
    jwtVerifier.cacheJwks({ keys: [key.jwk as never] });
    verifier = jwtVerifier;
  });

  it('allows the stage and passes the subject, groups, name and email of a valid token, with or without Bearer', async () => {
    // Prepare
    const token = signJwt(claims(), key);

    // Act
    const results = await Promise.all([authorize(token), authorize(`Bearer ${token}`)]);

    // Assess
    for (const result of results) {
      expect(result).toMatchObject({
        principalId: 'user-1',
        policyDocument: {
          Statement: [
            { Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:api123/v1/*' },
          ],
        },
      });
      expect(result.context).toEqual({
        sub: 'user-1',
        groups: 'admins,staff',
        name: 'ana@example.com',
        email: 'ana@example.com',
      });
    }
  });

  it.each([
    ['no token', () => ''],
    ['a malformed token', () => 'not.a-jwt'],
    ['alg: none', () => signJwt(claims(), key, { header: { alg: 'none' }, unsigned: true })],
    ['a token signed by another key', () => signJwt(claims(), otherKey)],
    ['an expired token', () => signJwt(claims({ exp: now() - 60 }), key)],
    ['a token of another issuer', () => signJwt(claims({ iss: 'https://evil.example.com' }), key)],
    ['a token for another audience', () => signJwt(claims({ aud: 'another-client' }), key)],
    ['a token without a subject', () => signJwt(claims({ sub: undefined }), key)],
  ])('refuses %s with Unauthorized (401)', async (_, token) => {
    // Act
    const attempt = authorize(token());

    // Assess
    await expect(attempt).rejects.toThrow(/^Unauthorized$/);
  });
});
