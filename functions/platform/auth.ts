import type { APIGatewayProxyEvent } from 'aws-lambda';
import { HttpError } from './errors';

/** The group whose members may use the back office (`/admin/*`). */
export const ADMIN_GROUP = 'admins';

/** Who sent a request, as the API's authorizer verified it. */
export interface Caller {
  /** The token's subject: the customer id of everything the caller owns. */
  readonly sub: string;
  /** Groups of the user (`cognito:groups`, or `groups` of an OpenID Connect token). */
  readonly groups: readonly string[];
  /** The email or user name, for audit records; the subject when the token names neither. */
  readonly name: string;
}

type AuthorizerContext = Record<string, unknown> | null | undefined;

/**
 * The claims API Gateway passes to the function: a Cognito user pool authorizer puts the ID token's
 * claims under `authorizer.claims` (every value a string); the project's Lambda authorizer for an
 * OpenID Connect issuer puts `sub`, `groups` and `name` into the authorizer context itself.
 */
function claimsOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Record<string, unknown> {
  const authorizer = event.requestContext?.authorizer as AuthorizerContext;
  if (!authorizer || typeof authorizer !== 'object') return {};
  const claims = authorizer.claims;
  if (claims && typeof claims === 'object') return claims as Record<string, unknown>;
  return authorizer;
}

/**
 * A group claim as API Gateway renders it: a JSON array, a string such as `admins`, `admins,staff`
 * or `[admins staff]` (the list of a Cognito ID token flattened to text).
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((group) => group.trim())
    .filter((group) => group !== '');
}

/** 401: the request reached the function without a verified caller (an API without authorizer). */
export const unauthenticated = () =>
  new HttpError(
    401,
    'UNAUTHORIZED',
    'Sign in: this route needs a valid ID token in the Authorization header',
  );

/** The verified caller of a request; a 401 when the authorizer passed no subject. */
export function callerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const claims = claimsOf(event);
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.trim() === '') throw unauthenticated();
  const groups = parseGroups(claims['cognito:groups'] ?? claims.groups);
  const name = [claims.email, claims.name, claims['cognito:username'], claims.username].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return { sub, groups, name: name ?? sub };
}

/** What the token says about the caller as a customer: a new profile starts from it. */
export interface CallerIdentity {
  readonly sub: string;
  /** The `email` claim, when the token has one. */
  readonly email?: string;
  /** The `name` claim (a Lambda authorizer's `name`: the user name or email), when there is one. */
  readonly name?: string;
}

/** The verified caller's subject, email and name claims; a 401 when there is no subject. */
export function identityOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): CallerIdentity {
  const { sub } = callerOf(event);
  const claims = claimsOf(event);
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  const email = text(claims.email);
  const name = text(claims.name);
  return { sub, ...(email ? { email } : {}), ...(name ? { name } : {}) };
}

/** The caller, who must be in `group` (403 otherwise). */
export function requireGroup(event: Pick<APIGatewayProxyEvent, 'requestContext'>, group: string): Caller {
  const caller = callerOf(event);
  if (!caller.groups.includes(group)) {
    throw new HttpError(403, 'FORBIDDEN', `This route is only for members of the ${group} group`);
  }
  return caller;
}

/** The caller of a back-office route: signed in (401) and an admin (403). */
export const requireAdmin = (event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller =>
  requireGroup(event, ADMIN_GROUP);
