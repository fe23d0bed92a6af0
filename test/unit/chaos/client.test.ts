import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, CognitoSignIn, type SignIn, SignInError } from '#chaos/client';

const cognitoMock = mockClient(CognitoIdentityProviderClient);
const cognito = new CognitoIdentityProviderClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

const CUSTOMERS = [
  { username: 'alice@example.com', password: 'pw-alice' },
  { username: 'bob@example.com', password: 'pw-bob' },
];

/** An ID token shaped like Cognito's (only its payload is read by the client). */
const idToken = (sub: string, exp: number) =>
  ['e30', Buffer.from(JSON.stringify({ sub, exp, token_use: 'id' })).toString('base64url'), 'sig'].join('.');

describe('Class: CognitoSignIn', () => {
  beforeEach(() => {
    cognitoMock.reset();
  });

  it('signs each customer in once with USER_PASSWORD_AUTH and sends the ID token as a bearer', async () => {
    // Prepare
    const now = 1_700_000_000_000;
    cognitoMock.on(InitiateAuthCommand).callsFake(async (input) => ({
      AuthenticationResult: {
        IdToken: idToken(input.AuthParameters.USERNAME, now / 1000 + 3600),
        ExpiresIn: 3600,
      },
    }));
    const signIn = new CognitoSignIn(cognito, 'client-1', CUSTOMERS, () => now);

    // Act
    const [alice, again, bob] = await Promise.all([
      signIn.headersFor('alice@example.com'),
      signIn.headersFor('alice@example.com'),
      signIn.headersFor('bob@example.com'),
    ]);

    // Assess
    expect(signIn.customers).toEqual(['alice@example.com', 'bob@example.com']);
    expect(alice).toEqual({ authorization: `Bearer ${idToken('alice@example.com', now / 1000 + 3600)}` });
    expect(again).toEqual(alice);
    expect(bob.authorization).not.toBe(alice.authorization);
    const calls = cognitoMock.commandCalls(InitiateAuthCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      {
        ClientId: 'client-1',
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice@example.com', PASSWORD: 'pw-alice' },
      },
      {
        ClientId: 'client-1',
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'bob@example.com', PASSWORD: 'pw-bob' },
      },
    ]);
  });

  it('signs in again when the ID token nears its expiry', async () => {
    // Prepare
    let now = 1_700_000_000_000;
    cognitoMock.on(InitiateAuthCommand).callsFake(async () => ({
      AuthenticationResult: { IdToken: idToken('alice', now / 1000 + 3600), ExpiresIn: 3600 },
    }));
    const signIn = new CognitoSignIn(cognito, 'client-1', CUSTOMERS, () => now);
    const first = await signIn.headersFor('alice@example.com');

    // Act
    now += 50 * 60_000;
    const kept = await signIn.headersFor('alice@example.com');
    now += 6 * 60_000;
    const renewed = await signIn.headersFor('alice@example.com');

    // Assess
    expect(kept).toEqual(first);
    expect(renewed).not.toEqual(first);
    expect(cognitoMock.commandCalls(InitiateAuthCommand)).toHaveLength(2);
  });

  it('fails with a SignInError that keeps the cause, and tries again on the next request', async () => {
    // Prepare
    const refused = new NotAuthorizedException({ message: 'Incorrect username or password.', $metadata: {} });
    cognitoMock
      .on(InitiateAuthCommand)
      .rejectsOnce(refused)
      .resolves({ AuthenticationResult: { IdToken: idToken('alice', 4_000_000_000) } });
    const signIn = new CognitoSignIn(cognito, 'client-1', CUSTOMERS);

    // Act
    const failure = await signIn.headersFor('alice@example.com').catch((error: unknown) => error);
    const retried = await signIn.headersFor('alice@example.com');

    // Assess
    expect(failure).toBeInstanceOf(SignInError);
    expect((failure as SignInError).message).toMatch(/Signing in alice@example.com failed: Incorrect/);
    expect((failure as SignInError).cause).toBe(refused);
    expect(retried.authorization).toMatch(/^Bearer /);
  });

  it('refuses a challenge instead of a token, an unknown customer and an empty list', async () => {
    // Prepare
    cognitoMock.on(InitiateAuthCommand).resolves({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' });
    const signIn = new CognitoSignIn(cognito, 'client-1', CUSTOMERS);

    // Act
    const challenged = signIn.headersFor('alice@example.com');
    const unknown = signIn.headersFor('mallory@example.com');

    // Assess
    await expect(challenged).rejects.toThrow(/returned no ID token/);
    await expect(unknown).rejects.toBeInstanceOf(SignInError);
    expect(() => new CognitoSignIn(cognito, 'client-1', [])).toThrow(SignInError);
  });
});

describe('Class: ApiClient', () => {
  const signIn: SignIn = {
    customers: ['alice'],
    headersFor: async (customer) => ({ authorization: `Bearer token-of-${customer}` }),
  };

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('places an order signed in as its customer, with no customerId in the body', async () => {
    // Prepare
    const fetchMock = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(new Response(JSON.stringify({ orderId: 'o-1' }), { status: 202 }));
    const api = new ApiClient('http://api.test', signIn);

    // Act
    const placed = await api.placeOrder({
      customer: 'alice',
      items: [{ productId: 'p-1', quantity: 2 }],
      token: 'tok_ok',
      idempotencyKey: 'chaos-run-baseline-0',
    });

    // Assess
    expect(placed).toEqual({ status: 202, attempts: 1, orderId: 'o-1' });
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('http://api.test/orders');
    expect(init.headers).toMatchObject({
      authorization: 'Bearer token-of-alice',
      'idempotency-key': 'chaos-run-baseline-0',
    });
    expect(JSON.parse(String(init.body))).toEqual({
      items: [{ productId: 'p-1', quantity: 2 }],
      payment: { method: 'card', token: 'tok_ok' },
    });
  });

  it('gives up at once when a customer cannot sign in', async () => {
    // Prepare
    const fetchMock = vi.spyOn(globalThis, 'fetch');
    const api = new ApiClient('http://api.test', {
      customers: ['alice'],
      headersFor: async () => {
        throw new SignInError('Signing in alice failed');
      },
    });

    // Act
    const placing = api.placeOrder({ customer: 'alice', items: [], token: 'tok_ok', idempotencyKey: 'k' });

    // Assess
    await expect(placing).rejects.toBeInstanceOf(SignInError);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
