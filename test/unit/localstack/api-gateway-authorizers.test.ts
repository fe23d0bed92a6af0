import { afterEach, describe, expect, it } from 'vitest';
import {
  type LocalApiGateway as Gateway,
  LocalApiGateway,
  policyDecision,
  type RestApiDefinition,
} from '#localstack/runtime/api-gateway';
import type { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:Api/v1/GET/things';

/** A stand-in for a local function: answers with `respond(event)` and records the events. */
function fakeFunction(
  respond: (event: Record<string, unknown>) => { ok: boolean; payload?: unknown; error?: unknown },
) {
  const events: Record<string, unknown>[] = [];
  const fn = {
    invoke: async (event: Record<string, unknown>) => {
      events.push(event);
      return respond(event);
    },
  } as unknown as LocalLambda;
  return { fn, events };
}

const allow = (resource: string, context: Record<string, string> = {}) => ({
  principalId: 'caller-1',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
  },
  context,
});

describe('Function: policyDecision', () => {
  it.each([
    ['an Allow of the stage', allow('arn:aws:execute-api:us-east-1:000000000000:Api/v1/*'), 'ALLOW'],
    ['an Allow of another method', allow('arn:aws:execute-api:us-east-1:000000000000:Api/v1/POST/*'), 'DENY'],
    [
      'an explicit Deny next to an Allow',
      {
        policyDocument: {
          Statement: [
            { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' },
            { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: METHOD_ARN },
          ],
        },
      },
      'DENY',
    ],
    ['no policy document', { principalId: 'x' }, 'INVALID'],
  ])('decides %s', (_, result, decision) => {
    // Act & Assess
    expect(policyDecision(result, METHOD_ARN)).toBe(decision);
  });
});

describe('Class: LocalApiGateway (Lambda authorizers)', () => {
  let gateway: Gateway | undefined;

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  async function serve(authorizer: LocalLambda, authorizerType: 'TOKEN' | 'REQUEST', ttlSeconds = 0) {
    const backend = fakeFunction((event) => ({
      ok: true,
      payload: {
        statusCode: 200,
        body: JSON.stringify({ authorizer: (event.requestContext as { authorizer: unknown }).authorizer }),
      },
    }));
    const api: RestApiDefinition = {
      id: 'Api',
      name: 'test',
      stageName: 'v1',
      gatewayResponses: {},
      routes: [
        {
          httpMethod: 'GET',
          resourcePath: '/things',
          fn: backend.fn,
          requiredHeaders: [],
          requiredQuery: [],
          validateParameters: false,
          authorization: {
            type: 'CUSTOM',
            name: 'auth',
            authorizerType,
            fn: authorizer,
            identityHeaders: authorizerType === 'TOKEN' ? ['Authorization'] : ['X-Api-Key'],
            ttlSeconds,
          },
        },
      ],
    };
    gateway = new LocalApiGateway(api, new LogSink(undefined, false));
    const url = await gateway.start(0);
    return { url, backend };
  }

  it('passes the TOKEN authorizer’s context and principal to the function', async () => {
    // Prepare
    const authorizer = fakeFunction(() => ({
      ok: true,
      payload: allow('arn:aws:execute-api:*', { sub: 'u-1' }),
    }));
    const { url, backend } = await serve(authorizer.fn, 'TOKEN');

    // Act
    const response = await fetch(`${url}/things`, { headers: { authorization: 'Bearer abc' } });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ authorizer: { sub: 'u-1', principalId: 'caller-1' } });
    expect(authorizer.events[0]).toEqual({
      type: 'TOKEN',
      authorizationToken: 'Bearer abc',
      methodArn: METHOD_ARN,
    });
    expect(backend.events).toHaveLength(1);
  });

  it.each([
    ['no identity source', {}, () => ({ ok: true, payload: allow('*') }), 401, 0],
    [
      'an authorizer failing with Unauthorized',
      { 'x-api-key': 'k' },
      () => ({ ok: false, error: { errorType: 'Error', errorMessage: 'Unauthorized' } }),
      401,
      1,
    ],
    [
      'a Deny policy',
      { 'x-api-key': 'k' },
      () => ({ ok: true, payload: allow('arn:aws:execute-api:*:*:Other/*') }),
      403,
      1,
    ],
    [
      'an authorizer that crashes',
      { 'x-api-key': 'k' },
      () => ({ ok: false, error: { errorType: 'TypeError', errorMessage: 'boom' } }),
      500,
      1,
    ],
  ])('answers %s without calling the function', async (_, headers, respond, status, authorizerCalls) => {
    // Prepare
    const authorizer = fakeFunction(respond as never);
    const { url, backend } = await serve(authorizer.fn, 'REQUEST');

    // Act
    const response = await fetch(`${url}/things`, { headers });

    // Assess
    expect(response.status).toBe(status);
    expect(authorizer.events).toHaveLength(authorizerCalls);
    expect(backend.events).toHaveLength(0);
  });

  it('reuses a result for the same identity until its TTL passes', async () => {
    // Prepare
    const authorizer = fakeFunction(() => ({ ok: true, payload: allow('arn:aws:execute-api:*') }));
    const { url } = await serve(authorizer.fn, 'REQUEST', 300);

    // Act
    for (const key of ['a', 'a', 'b']) await fetch(`${url}/things`, { headers: { 'x-api-key': key } });

    // Assess
    expect(authorizer.events).toHaveLength(2);
  });
});
