import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { allowStage, UnauthorizedError } from '#platform/authorizer';
import { readEnv } from '#platform/env';
import { instrumented, logger } from '#platform/powertools';
import { primeOnInit } from '#platform/priming';
import { Secrets } from '#platform/secrets';
import { apiKeyMatches } from '../api-key';
import { AuthorizeApiKeyFn } from '../contract';

const env = readEnv(AuthorizeApiKeyFn);
const secrets = new Secrets();

// The API key is read (and cached) now, as the first request would read it.
await primeOnInit([{ what: 'API key', prime: () => secrets.text(env.PSP_API_KEY_SECRET) }]);

function headerOf(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * REQUEST authorizer of the mock PSP's API: the `X-Api-Key` header must be the key in Secrets
 * Manager (`PSP_API_KEY_SECRET`, the secret the payment service reads too). A missing or wrong key
 * is a 401; the key itself is never logged.
 */
export const handler = instrumented<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>(
  async (event) => {
    const given = headerOf(event, 'x-api-key');
    if (apiKeyMatches(given, await secrets.text(env.PSP_API_KEY_SECRET))) {
      return allowStage(event.methodArn, 'payment-service');
    }
    logger.warn('PSP call refused: no or a wrong API key', {
      keyPresent: given !== undefined,
      path: event.path,
      sourceIp: event.requestContext?.identity?.sourceIp,
    });
    throw new UnauthorizedError();
  },
);
