import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { parseGroups } from '#platform/auth';

/** The credential of an `Authorization` header: the token itself, with or without `Bearer `. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token === '' ? undefined : token;
}

/**
 * What the function learns about the caller (`requestContext.authorizer`): the subject, the groups
 * (`cognito:groups` or `groups`, comma-separated), a name for audit records and the email, when the
 * token has one (a new customer profile starts from it). Authorizer context values must be strings.
 */
export function callerContext(payload: JwtPayload): Record<string, string> {
  const sub = typeof payload.sub === 'string' ? payload.sub : '';
  const groups = parseGroups(payload['cognito:groups'] ?? payload.groups);
  const name = [payload.preferred_username, payload.email, payload.name, payload['cognito:username']].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const email = typeof payload.email === 'string' && payload.email !== '' ? payload.email : undefined;
  return { sub, groups: groups.join(','), name: name ?? sub, ...(email ? { email } : {}) };
}
