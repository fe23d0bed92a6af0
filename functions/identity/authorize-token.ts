import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { allowStage, UnauthorizedError } from '#platform/authorizer';
import { bearerToken, callerContext } from './tokens';

/** What verifies a token: aws-jwt-verify's `JwtVerifier` for the configured issuer and audience. */
export interface TokenVerifier {
  verify(token: string): Promise<JwtPayload>;
}

/**
 * Decides a TOKEN authorizer request: the `Authorization` header (with or without `Bearer `) must
 * hold a JWT the verifier accepts (signature from the issuer's JWKS, issuer, audience, expiry) with
 * a subject. Anything else is a 401 (`UnauthorizedError`); `cause` says why, for the log only.
 */
export async function authorizeToken(
  verifier: TokenVerifier,
  event: Pick<APIGatewayTokenAuthorizerEvent, 'authorizationToken' | 'methodArn'>,
): Promise<APIGatewayAuthorizerResult> {
  const token = bearerToken(event.authorizationToken);
  if (!token) throw new UnauthorizedError();
  let payload: JwtPayload;
  try {
    payload = await verifier.verify(token);
  } catch (error) {
    throw new UnauthorizedError({ cause: error });
  }
  const context = callerContext(payload);
  const { sub } = context;
  if (!sub) throw new UnauthorizedError();
  return allowStage(event.methodArn, sub, context);
}
