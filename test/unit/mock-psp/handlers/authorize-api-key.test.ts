import '#test/unit/setup-env';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyMatches } from '#functions/mock-psp/api-key';
import { lambdaContext } from '#test/helpers/fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:mock-psp-api-key-AbCdEf';
const API_KEY = 'k3y-0f-the-m0ck-psp';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3/v1/POST/payments';
const secrets = mockClient(SecretsManagerClient);

let handler: typeof import('#functions/mock-psp/handlers/authorize-api-key')['handler'];

const request = (headers: Record<string, string>) =>
  ({
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    path: '/payments',
    httpMethod: 'POST',
    headers,
    requestContext: { identity: { sourceIp: '10.0.0.1' } },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

describe('Handler: authorize-api-key', () => {
  beforeAll(async () => {
    process.env.PSP_API_KEY_SECRET = SECRET_ARN;
    ({ handler } = await import('#functions/mock-psp/handlers/authorize-api-key'));
  });

  beforeEach(() => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: API_KEY });
  });

  it('allows every method of the stage for the key in Secrets Manager, whatever the header case', async () => {
    // Act
    const result = await handler(request({ 'X-Api-Key': API_KEY }), lambdaContext());

    // Assess
    expect(result).toEqual({
      principalId: 'payment-service',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3/v1/*',
          },
        ],
      },
    });
  });

  it.each([
    ['no key', {}],
    ['an empty key', { 'x-api-key': '' }],
    ['a wrong key', { 'x-api-key': 'not-the-key' }],
    ['the key with a suffix', { 'x-api-key': `${API_KEY}x` }],
    ['the key in another header', { authorization: API_KEY }],
  ])('refuses %s with "Unauthorized" (API Gateway answers 401)', async (_, headers) => {
    // Act
    const attempt = handler(request(headers), lambdaContext());

    // Assess
    await expect(attempt).rejects.toThrow(/^Unauthorized$/);
  });
});

describe('Function: apiKeyMatches', () => {
  it('never matches an empty expected key', () => {
    // Act & Assess
    expect(apiKeyMatches('', '')).toBe(false);
    expect(apiKeyMatches(undefined, 'k')).toBe(false);
    expect(apiKeyMatches('k', 'k')).toBe(true);
  });
});
