import { createHash, type KeyObject, randomUUID } from 'node:crypto';
import { generateSigningKey, type JwtRejection, type SigningKey, signJwt, verifyJwt } from './jwt';
import type { Resolver } from './resolve';
import { LOCAL_REGION } from './resolve';
import { resourcesOfType, type StackTemplate } from './template';

/** A Cognito API error in the shape the AWS SDK reads (`__type`, `message`, status 400). */
export class CognitoApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'CognitoApiError';
  }
}

/** A user of a local user pool. */
export interface LocalUser {
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  readonly password: string;
  readonly groups: readonly string[];
}

/** A demo user seeded into every local user pool (the group only where the pool defines it). */
export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly groups: readonly string[];
  /** What the user is for, printed by `npm start`. */
  readonly role: string;
}

/** The password of the demo users: meets the template's policy (12+, upper, lower, digit, symbol). */
export const DEMO_PASSWORD = 'Local-Demo-Passw0rd!';

export const DEMO_USERS: readonly DemoUser[] = [
  { email: 'alice@example.com', password: DEMO_PASSWORD, groups: [], role: 'customer' },
  { email: 'bob@example.com', password: DEMO_PASSWORD, groups: [], role: 'customer' },
  { email: 'admin@example.com', password: DEMO_PASSWORD, groups: ['admins'], role: 'admin, back office' },
];

/** Lifetimes of the tokens a local pool issues when the client sets none (Cognito's defaults). */
const DEFAULT_TOKEN_MINUTES = 60;

export interface LocalAppClient {
  readonly clientId: string;
  readonly name: string;
  readonly authFlows: ReadonlySet<string>;
  readonly idTokenMinutes: number;
  readonly accessTokenMinutes: number;
}

/** Tokens of an InitiateAuth, as `AuthenticationResult` carries them. */
export interface AuthenticationResult {
  AccessToken: string;
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
  TokenType: 'Bearer';
}

/** Why the API Gateway Cognito authorizer refuses a token (all answered 401). */
export type TokenRejection = JwtRejection | 'NOT_AN_ID_TOKEN' | 'UNKNOWN_CLIENT';

/** Deterministic local ids, so a pool keeps its id and its clients theirs from one start to the next. */
const digest = (text: string) => createHash('sha256').update(text).digest();
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function localUserPoolId(stack: StackTemplate, logicalId: string): string {
  const bytes = digest(`${stack.stackName}/${logicalId}`);
  const suffix = [...bytes.subarray(0, 9)]
    .map((byte, index) => {
      const char = ALPHANUMERIC[byte % ALPHANUMERIC.length] ?? 'a';
      return index % 2 === 0 ? char.toUpperCase() : char;
    })
    .join('');
  return `${LOCAL_REGION}_${suffix}`;
}

export function localClientId(stack: StackTemplate, logicalId: string): string {
  const bytes = digest(`client/${stack.stackName}/${logicalId}`);
  return [...bytes.subarray(0, 26)].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/** A sub that stays the same for one email across starts (so a customer's orders stay theirs). */
function subOf(poolId: string, email: string): string {
  const hex = digest(`${poolId}/${email}`).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * One user pool of the templates: its app clients and groups from the template, demo users, and an
 * RS256 signing key generated at start. It issues ID and access tokens shaped like Cognito's and
 * verifies them as API Gateway's Cognito user pool authorizer does.
 */
export class LocalUserPool {
  readonly key: SigningKey;
  readonly clients = new Map<string, LocalAppClient>();
  readonly groups = new Set<string>();
  readonly users = new Map<string, LocalUser>();
  private readonly refreshTokens = new Map<string, { username: string; clientId: string }>();

  constructor(
    readonly id: string,
    readonly arn: string,
    readonly name: string,
    /** The endpoint the pool is served on (the control plane); the issuer is `<endpoint>/<id>`. */
    private readonly endpoint: () => string,
  ) {
    this.key = generateSigningKey(randomUUID());
  }

  get issuer(): string {
    return `${this.endpoint()}/${this.id}`;
  }

  get jwks(): { keys: Record<string, string>[] } {
    return { keys: [this.key.jwk] };
  }

  /** Adds a user (its groups limited to the pool's groups). */
  addUser(email: string, password: string, groups: readonly string[]): LocalUser {
    const user: LocalUser = {
      username: subOf(this.id, email),
      sub: subOf(this.id, email),
      email,
      password,
      groups: groups.filter((group) => this.groups.has(group)),
    };
    this.users.set(email.toLowerCase(), user);
    return user;
  }

  private client(clientId: unknown): LocalAppClient {
    const client = typeof clientId === 'string' ? this.clients.get(clientId) : undefined;
    if (!client)
      throw new CognitoApiError(
        'ResourceNotFoundException',
        `User pool client ${String(clientId)} does not exist.`,
      );
    return client;
  }

  /**
   * `InitiateAuth` with USER_PASSWORD_AUTH (`USERNAME`, `PASSWORD`) or REFRESH_TOKEN_AUTH
   * (`REFRESH_TOKEN`): the flow must be enabled on the client; a wrong password and an unknown user
   * answer the same NotAuthorizedException (the client prevents user existence errors).
   */
  initiateAuth(request: Record<string, unknown>, now: Date = new Date()): AuthenticationResult {
    const client = this.client(request.ClientId);
    const flow = String(request.AuthFlow ?? '');
    const parameters = (request.AuthParameters ?? {}) as Record<string, unknown>;
    if (flow === 'USER_PASSWORD_AUTH') {
      if (!client.authFlows.has('ALLOW_USER_PASSWORD_AUTH'))
        throw new CognitoApiError(
          'InvalidParameterException',
          'USER_PASSWORD_AUTH flow not enabled for this client',
        );
      const username = String(parameters.USERNAME ?? '').toLowerCase();
      const user = this.users.get(username);
      if (!user || user.password !== parameters.PASSWORD)
        throw new CognitoApiError('NotAuthorizedException', 'Incorrect username or password.');
      const refreshToken = randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', '');
      this.refreshTokens.set(refreshToken, { username: user.email.toLowerCase(), clientId: client.clientId });
      return { ...this.tokens(user, client, now), RefreshToken: refreshToken };
    }
    if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') {
      const session = this.refreshTokens.get(String(parameters.REFRESH_TOKEN ?? ''));
      const user =
        session && session.clientId === client.clientId ? this.users.get(session.username) : undefined;
      if (!user) throw new CognitoApiError('NotAuthorizedException', 'Invalid Refresh Token');
      return this.tokens(user, client, now);
    }
    throw new CognitoApiError(
      'InvalidParameterException',
      `Unsupported AuthFlow ${flow} (the local pool serves USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH)`,
    );
  }

  /** The ID and access tokens Cognito would issue `user` through `client`. */
  tokens(user: LocalUser, client: LocalAppClient, now: Date = new Date()): AuthenticationResult {
    const originJti = randomUUID();
    const iat = epochSeconds(now);
    const common = {
      sub: user.sub,
      ...(user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {}),
      iss: this.issuer,
      origin_jti: originJti,
      event_id: randomUUID(),
      auth_time: iat,
      iat,
    };
    const idToken = signJwt(
      {
        ...common,
        email_verified: true,
        'cognito:username': user.username,
        aud: client.clientId,
        token_use: 'id',
        exp: iat + client.idTokenMinutes * 60,
        jti: randomUUID(),
        email: user.email,
      },
      this.key,
    );
    const accessToken = signJwt(
      {
        ...common,
        client_id: client.clientId,
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        exp: iat + client.accessTokenMinutes * 60,
        jti: randomUUID(),
        username: user.username,
      },
      this.key,
    );
    return {
      AccessToken: accessToken,
      IdToken: idToken,
      ExpiresIn: client.accessTokenMinutes * 60,
      TokenType: 'Bearer',
    };
  }

  /**
   * What API Gateway's Cognito authorizer (without OAuth scopes) checks: an RS256 signature by this
   * pool's key, `iss` of this pool, not expired, an ID token (`token_use: id`) for one of the pool's
   * app clients (`aud`). The claims go to the function as strings, as API Gateway passes them.
   */
  verifyIdToken(
    token: string,
    now: Date = new Date(),
  ): { ok: true; claims: Record<string, string> } | { ok: false; reason: TokenRejection } {
    const keys = new Map<string, KeyObject>([[this.key.kid, this.key.publicKey]]);
    const checked = verifyJwt(token, keys, now);
    if (!checked.ok) return checked;
    const { payload } = checked;
    if (payload.iss !== this.issuer) return { ok: false, reason: 'WRONG_ISSUER' };
    if (payload.token_use !== 'id') return { ok: false, reason: 'NOT_AN_ID_TOKEN' };
    if (typeof payload.aud !== 'string' || !this.clients.has(payload.aud))
      return { ok: false, reason: 'UNKNOWN_CLIENT' };
    return { ok: true, claims: apiGatewayClaims(payload) };
  }
}

/** How API Gateway renders a date claim of a Cognito token: `Mon Mar 03 12:00:00 UTC 2025`. */
function claimDate(seconds: number): string {
  const date = new Date(seconds * 1000);
  const [weekday, day, month, year] = date.toUTCString().replace(',', '').split(' ');
  const time = date.toISOString().slice(11, 19);
  return `${weekday} ${month} ${day} ${time} UTC ${year}`;
}

/** The token's claims as `requestContext.authorizer.claims`: strings, groups comma-separated. */
export function apiGatewayClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (Array.isArray(value)) claims[name] = value.join(',');
    else if ((name === 'exp' || name === 'iat') && typeof value === 'number') claims[name] = claimDate(value);
    else claims[name] = String(value);
  }
  return claims;
}

/**
 * The user pools of the templates (`AWS::Cognito::UserPool`) with their app clients and groups, and
 * the demo users seeded into each.
 */
export class LocalCognito {
  readonly pools: LocalUserPool[] = [];

  constructor(
    stacks: readonly StackTemplate[],
    resolver: Resolver,
    endpoint: () => string,
    demoUsers: readonly DemoUser[] = DEMO_USERS,
  ) {
    for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::Cognito::UserPool')) {
      const id = resolver.resolveString(stack, { Ref: logicalId });
      const arn = resolver.resolveString(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] });
      const name = String(resource.Properties?.UserPoolName ?? logicalId);
      this.pools.push(new LocalUserPool(id, arn, name, endpoint));
    }
    for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::Cognito::UserPoolClient')) {
      const props = resource.Properties ?? {};
      const pool = this.pool(resolver.resolveString(stack, props.UserPoolId));
      if (!pool) continue;
      const minutes = (value: unknown, unit: unknown) => {
        if (typeof value !== 'number') return DEFAULT_TOKEN_MINUTES;
        return unit === 'hours'
          ? value * 60
          : unit === 'days'
            ? value * 1440
            : unit === 'seconds'
              ? value / 60
              : value;
      };
      const units = (props.TokenValidityUnits ?? {}) as Record<string, unknown>;
      pool.clients.set(resolver.resolveString(stack, { Ref: logicalId }), {
        clientId: resolver.resolveString(stack, { Ref: logicalId }),
        name: String(props.ClientName ?? logicalId),
        authFlows: new Set(((props.ExplicitAuthFlows as unknown[] | undefined) ?? []).map(String)),
        idTokenMinutes: minutes(props.IdTokenValidity, units.IdToken ?? 'minutes'),
        accessTokenMinutes: minutes(props.AccessTokenValidity, units.AccessToken ?? 'minutes'),
      });
    }
    for (const { stack, resource } of resourcesOfType(stacks, 'AWS::Cognito::UserPoolGroup')) {
      const props = resource.Properties ?? {};
      this.pool(resolver.resolveString(stack, props.UserPoolId))?.groups.add(String(props.GroupName));
    }
    for (const pool of this.pools) {
      for (const user of demoUsers) pool.addUser(user.email, user.password, user.groups);
    }
  }

  /** The pool with this id or ARN. */
  pool(idOrArn: string): LocalUserPool | undefined {
    return this.pools.find((pool) => pool.id === idOrArn || pool.arn === idOrArn);
  }

  /** The pool of an app client. */
  poolOfClient(clientId: unknown): LocalUserPool {
    const pool = this.pools.find(
      (candidate) => typeof clientId === 'string' && candidate.clients.has(clientId),
    );
    if (!pool)
      throw new CognitoApiError(
        'ResourceNotFoundException',
        `User pool client ${String(clientId)} does not exist.`,
      );
    return pool;
  }

  /** Serves a Cognito Identity Provider API call (`X-Amz-Target: AWSCognitoIdentityProviderService.<operation>`). */
  handle(operation: string, request: Record<string, unknown>): unknown {
    switch (operation) {
      case 'InitiateAuth':
        return {
          AuthenticationResult: this.poolOfClient(request.ClientId).initiateAuth(request),
          ChallengeParameters: {},
        };
      default:
        throw new CognitoApiError('UnknownOperationException', `${operation} is not served locally`);
    }
  }
}
