import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { PermanentError } from './errors';

/**
 * A Lambda authorizer refuses the caller (no or an invalid credential). API Gateway answers 401 when
 * an authorizer fails with exactly this message.
 */
export class UnauthorizedError extends PermanentError {
  readonly code = 'UNAUTHORIZED';
  constructor(options?: { cause?: unknown }) {
    super('Unauthorized', options);
  }
}

/**
 * The policy of an accepted caller: every method of the API's stage, since API Gateway caches the
 * result per credential for all of its methods (`arn:...:<apiId>/<stage>/<method>/<path>` →
 * `arn:...:<apiId>/<stage>/*`). `context` reaches the function as `requestContext.authorizer`.
 */
export function allowStage(
  methodArn: string,
  principalId: string,
  context?: Record<string, string>,
): APIGatewayAuthorizerResult {
  const [api, stage] = methodArn.split('/');
  const resource = api && stage ? `${api}/${stage}/*` : methodArn;
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
    },
    ...(context ? { context } : {}),
  };
}
