import { JwtVerifier } from 'aws-jwt-verify';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { UnauthorizedError } from '#platform/authorizer';
import { readEnv } from '#platform/env';
import { instrumented, logger } from '#platform/powertools';
import { authorizeToken } from '../authorize-token';
import { VerifyTokenFn } from '../contract';

const env = readEnv(VerifyTokenFn);
const issuer = env.AUTH_ISSUER.replace(/\/+$/, '');

/** aws-jwt-verify fetches and caches the issuer's JWKS; created once per container. */
const verifier = JwtVerifier.create({
  issuer: env.AUTH_ISSUER,
  audience: env.AUTH_AUDIENCE,
  jwksUri: env.AUTH_JWKS_URI || `${issuer}/.well-known/jwks.json`,
});

/**
 * TOKEN authorizer of the order API for an existing OpenID Connect provider (`-c authIssuer=...`):
 * a JWT of `AUTH_ISSUER` for `AUTH_AUDIENCE`, signed with a key of its JWKS and not expired, or 401.
 * The function behind the API gets `sub`, `groups` and `name`.
 */
export const handler = instrumented<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>(
  async (event) => {
    try {
      return await authorizeToken(verifier, event);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        logger.info('token refused', { reason: (error.cause as Error | undefined)?.name ?? 'NoToken' });
      }
      throw error;
    }
  },
);
