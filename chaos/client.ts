import {
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { ChaosError } from './errors';

/**
 * How the tool signs in to the REST API: every customer route needs an ID token of the user pool, and
 * an order belongs to the token's subject. The orders of a scenario are spread over `customers`.
 */
export interface SignIn {
  /** The sign-in names (usernames or emails) of the customers orders are placed for. */
  readonly customers: readonly string[];
  /** Headers that authenticate a request made on behalf of this customer. */
  headersFor(customer: string): Promise<Record<string, string>>;
}

/** A user the tool signs in as. */
export interface UserCredentials {
  username: string;
  password: string;
}

/** Signing a user in failed (wrong credentials, an unknown app client, a flow the client does not allow). */
export class SignInError extends ChaosError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignInError';
  }
}

/** An ID token is signed for again when less than this is left of its lifetime. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * Signs customers in through the Cognito API (`InitiateAuth`, USER_PASSWORD_AUTH, as the app client
 * allows): the local runtime's control plane or Cognito on AWS. Each customer's ID token is kept until
 * shortly before it expires, so a run signs each in about once.
 */
export class CognitoSignIn implements SignIn {
  readonly customers: readonly string[];
  private readonly passwords: ReadonlyMap<string, string>;
  private readonly tokens = new Map<string, { idToken: Promise<string>; renewAt: number }>();

  constructor(
    private readonly cognito: CognitoIdentityProviderClient,
    private readonly clientId: string,
    customers: readonly UserCredentials[],
    private readonly now: () => number = Date.now,
  ) {
    if (customers.length === 0) throw new SignInError('No customer to sign in as');
    this.customers = customers.map((user) => user.username);
    this.passwords = new Map(customers.map((user) => [user.username, user.password]));
  }

  async headersFor(customer: string): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.idToken(customer)}` };
  }

  /** The customer's ID token: the one kept, or a new sign-in when it is (nearly) expired. */
  idToken(customer: string): Promise<string> {
    const kept = this.tokens.get(customer);
    if (kept && kept.renewAt > this.now()) return kept.idToken;
    const password = this.passwords.get(customer);
    if (password === undefined)
      return Promise.reject(new SignInError(`${customer} is not a customer of this run`));
    const started = this.now();
    const entry = { renewAt: Number.POSITIVE_INFINITY, idToken: Promise.resolve('') };
    entry.idToken = this.initiateAuth(customer, password).then(
      ({ idToken, expiresInSeconds }) => {
        const lifetimeMs = expiresInSeconds * 1000;
        entry.renewAt = started + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2);
        return idToken;
      },
      (error: unknown) => {
        // A failed sign-in is not kept: the next request tries again.
        if (this.tokens.get(customer) === entry) this.tokens.delete(customer);
        throw error;
      },
    );
    this.tokens.set(customer, entry);
    return entry.idToken;
  }

  private async initiateAuth(
    username: string,
    password: string,
  ): Promise<{ idToken: string; expiresInSeconds: number }> {
    let authentication: { IdToken?: string; ExpiresIn?: number } | undefined;
    try {
      ({ AuthenticationResult: authentication } = await this.cognito.send(
        new InitiateAuthCommand({
          ClientId: this.clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: username, PASSWORD: password },
        }),
      ));
    } catch (error) {
      throw new SignInError(`Signing in ${username} failed: ${(error as Error).message}`, { cause: error });
    }
    if (!authentication?.IdToken)
      throw new SignInError(
        `Signing in ${username} returned no ID token (the user pool asks for a challenge, such as a new password)`,
      );
    return {
      idToken: authentication.IdToken,
      expiresInSeconds: secondsLeft(authentication.IdToken, this.now()) ?? authentication.ExpiresIn ?? 3600,
    };
  }
}

/** Seconds until a JWT's `exp` (ExpiresIn is the access token's lifetime, the ID token may differ). */
function secondsLeft(jwt: string, now: number): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? Math.max(0, payload.exp - now / 1000) : undefined;
  } catch {
    return undefined;
  }
}

export interface OrderRequest {
  /** The customer (a sign-in name of the SignIn) the order is placed for. */
  customer: string;
  items: { productId: string; quantity: number }[];
  token: string;
  /** The order's Idempotency-Key (keys are per customer). */
  idempotencyKey: string;
}

export interface PlacedOrder {
  /** 202 (or 200 for a replay); the last status seen when the order could not be placed. */
  status: number;
  orderId?: string;
  attempts: number;
  error?: string;
}

/** The REST API of the system, as a client (a shop front end) uses it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly signIn: SignIn,
  ) {}

  /**
   * Places an order the way a careful client does, signed in as its customer: one Idempotency-Key for
   * the order, and the same request again after a 5xx, a 429 or a network error (with backoff), so an
   * order the API took but did not confirm is never placed twice. The order belongs to the signed-in
   * customer; the body names no customer.
   */
  async placeOrder(request: OrderRequest, maxAttempts = 6): Promise<PlacedOrder> {
    let last: PlacedOrder = { status: 0, attempts: 0 };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const response = await fetch(`${this.baseUrl}/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': request.idempotencyKey,
            ...(await this.signIn.headersFor(request.customer)),
          },
          body: JSON.stringify({
            items: request.items,
            payment: { method: 'card', token: request.token },
          }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.status < 300) {
          const body = JSON.parse(text) as { orderId?: string };
          return {
            status: response.status,
            attempts: attempt,
            ...(body.orderId ? { orderId: body.orderId } : {}),
          };
        }
        last = { status: response.status, attempts: attempt, error: text.slice(0, 300) };
        if (response.status < 500 && response.status !== 429) return last;
      } catch (error) {
        // A customer who cannot sign in places no order at all: the run cannot go on.
        if (error instanceof SignInError) throw error;
        last = { status: 0, attempts: attempt, error: String(error) };
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, 5_000)));
    }
    return last;
  }
}
