import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { LocalCognito } from './cognito';
import type { LocalLambda } from './lambda';
import type { LogSink } from './logs';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './resolve';

/** Who may call a method: nobody checked, a Cognito user pool authorizer, or a Lambda authorizer. */
export type RouteAuthorization =
  | { type: 'NONE' }
  | {
      type: 'COGNITO_USER_POOLS';
      name: string;
      /** Headers of the identity source (`method.request.header.Authorization`). */
      identityHeaders: string[];
      userPoolArns: string[];
    }
  | {
      type: 'CUSTOM';
      name: string;
      authorizerType: 'TOKEN' | 'REQUEST';
      fn: LocalLambda;
      identityHeaders: string[];
      /** How long a result is reused for the same identity (`AuthorizerResultTtlInSeconds`, default 300). */
      ttlSeconds: number;
    };

/** One method of the REST API, as the template declares it. */
export interface RouteDefinition {
  httpMethod: string;
  /** Resource path with `{param}` placeholders, e.g. /orders/{orderId}. */
  resourcePath: string;
  fn: LocalLambda;
  requiredHeaders: string[];
  requiredQuery: string[];
  validateParameters: boolean;
  authorization: RouteAuthorization;
}

/** A gateway response from the template: status and a JSON template with $context variables. */
export interface GatewayResponseDefinition {
  statusCode?: string;
  template?: string;
  headers: Record<string, string>;
}

export interface RestApiDefinition {
  /** The API's id (its Ref): part of method ARNs and of execute-api URLs. */
  id: string;
  name: string;
  stageName: string;
  routes: RouteDefinition[];
  gatewayResponses: Record<string, GatewayResponseDefinition>;
}

/** API Gateway's own limit on a request payload. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

const DEFAULT_STATUS: Record<string, number> = {
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  AUTHORIZER_FAILURE: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  DEFAULT_4XX: 400,
  DEFAULT_5XX: 500,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
};

const FAMILY: Record<string, string> = {
  UNAUTHORIZED: 'DEFAULT_4XX',
  ACCESS_DENIED: 'DEFAULT_4XX',
  AUTHORIZER_FAILURE: 'DEFAULT_5XX',
  AUTHORIZER_CONFIGURATION_ERROR: 'DEFAULT_5XX',
  BAD_REQUEST_PARAMETERS: 'DEFAULT_4XX',
  BAD_REQUEST_BODY: 'DEFAULT_4XX',
  MISSING_AUTHENTICATION_TOKEN: 'DEFAULT_4XX',
  REQUEST_TOO_LARGE: 'DEFAULT_4XX',
  INTEGRATION_FAILURE: 'DEFAULT_5XX',
  INTEGRATION_TIMEOUT: 'DEFAULT_5XX',
};

function matchRoute(routes: readonly RouteDefinition[], method: string, path: string) {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const route of routes) {
    const pattern = route.resourcePath.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((part, index) => {
      const segment = segments[index] ?? '';
      if (part.startsWith('{') && part.endsWith('}')) {
        params[part.slice(1, -1)] = decodeURIComponent(segment);
        return segment !== '';
      }
      return part === segment;
    });
    if (!ok) continue;
    pathMatched = true;
    if (route.httpMethod === method || route.httpMethod === 'ANY') return { route, params, pathMatched };
  }
  return { route: undefined, params: {}, pathMatched };
}

/** `arn:...:*` patterns of a policy statement, as IAM matches them (`*` any run, `?` one character). */
function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${regex}$`).test(arn);
}

type PolicyDecision = 'ALLOW' | 'DENY' | 'INVALID';

/** What a Lambda authorizer's policy says about `methodArn`: an explicit Deny wins, no Allow denies. */
export function policyDecision(result: unknown, methodArn: string): PolicyDecision {
  const policy = (result as { policyDocument?: { Statement?: unknown } } | null)?.policyDocument;
  if (!policy || policy.Statement === undefined) return 'INVALID';
  const statements = [policy.Statement].flat() as {
    Effect?: string;
    Action?: string | string[];
    Resource?: string | string[];
  }[];
  let allowed = false;
  for (const statement of statements) {
    const actions = [statement.Action ?? []].flat();
    const invokes = actions.some((action) => ['execute-api:Invoke', 'execute-api:*', '*'].includes(action));
    const matches = [statement.Resource ?? []].flat().some((resource) => arnMatches(resource, methodArn));
    if (!invokes || !matches) continue;
    if (statement.Effect === 'Deny') return 'DENY';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'ALLOW' : 'DENY';
}

type Authorization =
  | { ok: true; authorizer: Record<string, unknown> | null }
  | { ok: false; type: string; message: string };

export interface LocalApiGatewayOptions {
  /** The user pools that Cognito user pool authorizers check tokens against. */
  cognito?: LocalCognito;
}

/**
 * Serves a REST API from the template on localhost: routes to the functions with Lambda proxy
 * events (payload format 1.0), runs the method's authorizer (a Cognito user pool authorizer against
 * the local user pools, or a Lambda TOKEN/REQUEST authorizer), validates required parameters when
 * the method's validator asks for it, and answers API Gateway's own errors with the template's
 * gateway responses.
 */
export class LocalApiGateway {
  private server: Server | undefined;
  /** Lambda authorizer results by authorizer and identity, reused until they expire. */
  private readonly authorizerCache = new Map<string, { payload: unknown; expiresAt: number }>();
  url = '';

  constructor(
    private readonly api: RestApiDefinition,
    private readonly logs: LogSink,
    private readonly options: LocalApiGatewayOptions = {},
  ) {}

  get definition(): RestApiDefinition {
    return this.api;
  }

  async start(port: number, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.logs.write('api-gateway', `internal error: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) this.gatewayResponse(res, 'DEFAULT_5XX', 'Internal server error', randomUUID());
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private gatewayResponse(res: ServerResponse, type: string, message: string, requestId: string): void {
    const definition = this.api.gatewayResponses[type] ?? this.api.gatewayResponses[FAMILY[type] ?? ''];
    const status = Number(definition?.statusCode ?? DEFAULT_STATUS[type] ?? 500);
    const escaped = JSON.stringify(message).slice(1, -1);
    const body = definition?.template
      ? definition.template
          .replaceAll('$context.error.messageString', JSON.stringify(message))
          .replaceAll('$context.error.message', escaped)
          .replaceAll('$context.error.responseType', type)
          .replaceAll('$context.error.validationErrorString', escaped)
          .replaceAll('$context.requestId', requestId)
      : JSON.stringify({ message });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(definition?.headers ?? {}))
      headers[name.toLowerCase()] = value;
    res.writeHead(status, { ...headers, 'x-amzn-requestid': requestId, 'x-amzn-errortype': type });
    res.end(body);
  }

  /** The method ARN API Gateway gives an authorizer: `arn:aws:execute-api:...:<api>/<stage>/<METHOD>/<path>`. */
  private methodArn(method: string, path: string): string {
    return `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.api.id}/${this.api.stageName}/${method}${path}`;
  }

  private async authorize(
    route: RouteDefinition,
    event: APIGatewayProxyEvent,
    headers: ReadonlyMap<string, string>,
    method: string,
    path: string,
  ): Promise<Authorization> {
    const { authorization } = route;
    if (authorization.type === 'NONE') return { ok: true, authorizer: null };
    const identity = authorization.identityHeaders.map((name) => headers.get(name.toLowerCase()));
    // A missing identity source is refused before any authorizer runs.
    if (identity.length === 0 || identity.some((value) => value === undefined || value.trim() === ''))
      return { ok: false, type: 'UNAUTHORIZED', message: 'Unauthorized' };

    if (authorization.type === 'COGNITO_USER_POOLS') {
      const token = String(identity[0])
        .replace(/^Bearer\s+/i, '')
        .trim();
      const pools = authorization.userPoolArns.map((arn) => this.options.cognito?.pool(arn));
      for (const pool of pools) {
        const checked = pool?.verifyIdToken(token);
        if (checked?.ok) return { ok: true, authorizer: { claims: checked.claims } };
        if (checked && !checked.ok)
          this.logs.write('api-gateway', `${authorization.name}: token refused (${checked.reason})`);
      }
      return { ok: false, type: 'UNAUTHORIZED', message: 'Unauthorized' };
    }

    const methodArn = this.methodArn(method, path);
    const input =
      authorization.authorizerType === 'TOKEN'
        ? { type: 'TOKEN', authorizationToken: String(identity[0]), methodArn }
        : {
            type: 'REQUEST',
            methodArn,
            resource: event.resource,
            path: event.path,
            httpMethod: event.httpMethod,
            headers: event.headers,
            multiValueHeaders: event.multiValueHeaders,
            queryStringParameters: event.queryStringParameters,
            multiValueQueryStringParameters: event.multiValueQueryStringParameters,
            pathParameters: event.pathParameters,
            stageVariables: event.stageVariables,
            requestContext: event.requestContext,
          };
    const cacheKey = `${authorization.name}\n${identity.join('\n')}`;
    const cached = this.authorizerCache.get(cacheKey);
    const result =
      cached && cached.expiresAt > Date.now()
        ? { ok: true as const, payload: cached.payload }
        : await authorization.fn.invoke(input);
    if (result.ok && !cached && authorization.ttlSeconds > 0) {
      this.authorizerCache.set(cacheKey, {
        payload: result.payload,
        expiresAt: Date.now() + authorization.ttlSeconds * 1000,
      });
    }
    if (!result.ok) {
      if (result.error.errorMessage === 'Unauthorized')
        return { ok: false, type: 'UNAUTHORIZED', message: 'Unauthorized' };
      this.logs.write(
        'api-gateway',
        `${authorization.name}: authorizer failed: ${result.error.errorType}: ${result.error.errorMessage}`,
      );
      return { ok: false, type: 'AUTHORIZER_FAILURE', message: 'Internal server error' };
    }
    const decision = policyDecision(result.payload, methodArn);
    if (decision === 'INVALID') {
      this.logs.write('api-gateway', `${authorization.name}: the authorizer returned no policy document`);
      return { ok: false, type: 'AUTHORIZER_CONFIGURATION_ERROR', message: 'Internal server error' };
    }
    if (decision === 'DENY')
      return { ok: false, type: 'ACCESS_DENIED', message: 'User is not authorized to access this resource' };
    const output = result.payload as { principalId?: unknown; context?: Record<string, unknown> };
    return { ok: true, authorizer: { ...(output.context ?? {}), principalId: output.principalId ?? null } };
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /**
   * The route of a request, served both under the stage (`/v1/orders`, as the execute-api URL) and at
   * the root (`/orders`, as a custom domain mapped without a base path); `path` is the resource path
   * without the stage, as API Gateway passes it.
   */
  private routeOf(method: string, pathname: string) {
    const stage = `/${this.api.stageName}`;
    if (pathname.startsWith(`${stage}/`)) {
      const path = pathname.slice(stage.length);
      const staged = matchRoute(this.api.routes, method, path);
      if (staged.route) return { path, ...staged };
    }
    return { path: pathname, ...matchRoute(this.api.routes, method, pathname) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await this.readBody(req);
    if (body === undefined)
      return this.gatewayResponse(res, 'REQUEST_TOO_LARGE', 'Request Too Long', requestId);

    const { path, route, params } = this.routeOf(method, url.pathname);
    if (!route)
      return this.gatewayResponse(
        res,
        'MISSING_AUTHENTICATION_TOKEN',
        'Missing Authentication Token',
        requestId,
      );

    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      const value = req.rawHeaders[i + 1] as string;
      headers[name] = value;
      multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
    }
    const lowerHeaders = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [key, value] of url.searchParams) {
      query[key] = value;
      multiQuery[key] = [...(multiQuery[key] ?? []), value];
    }
    const contentType = lowerHeaders.get('content-type') ?? '';
    const binary =
      body.length > 0 &&
      !/^(text\/|application\/(json|xml|x-www-form-urlencoded)|.*\+json)/i.test(contentType) &&
      contentType !== '';
    const event: APIGatewayProxyEvent = {
      resource: route.resourcePath,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
      pathParameters: Object.keys(params).length > 0 ? params : null,
      stageVariables: null,
      body: body.length > 0 ? (binary ? body.toString('base64') : body.toString('utf8')) : null,
      isBase64Encoded: binary,
      requestContext: {
        accountId: '000000000000',
        apiId: this.api.id,
        authorizer: null,
        protocol: `HTTP/${req.httpVersion}`,
        httpMethod: method,
        path: url.pathname,
        stage: this.api.stageName,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: route.resourcePath,
        resourcePath: route.resourcePath,
        identity: {
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: lowerHeaders.get('user-agent') ?? null,
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          user: null,
          userArn: null,
        },
      },
    };

    // API Gateway runs the authorizer before it validates the request.
    const authorization = await this.authorize(route, event, lowerHeaders, method, url.pathname);
    if (!authorization.ok)
      return this.gatewayResponse(res, authorization.type, authorization.message, requestId);
    event.requestContext.authorizer = authorization.authorizer;

    if (route.validateParameters) {
      const missing = [
        ...route.requiredHeaders.filter((name) => !lowerHeaders.has(name.toLowerCase())),
        ...route.requiredQuery.filter((name) => !url.searchParams.has(name)),
      ];
      if (missing.length > 0) {
        return this.gatewayResponse(
          res,
          'BAD_REQUEST_PARAMETERS',
          `Missing required request parameters: [${missing.join(', ')}]`,
          requestId,
        );
      }
    }

    const result = await route.fn.invoke(event);
    if (!result.ok) {
      this.logs.write(
        'api-gateway',
        `${method} ${url.pathname} -> function error ${result.error.errorType}: ${result.error.errorMessage}`,
      );
      const type = result.error.errorType === 'Sandbox.Timedout' ? 'INTEGRATION_TIMEOUT' : 'DEFAULT_5XX';
      return this.gatewayResponse(res, type, 'Internal server error', requestId);
    }
    const response = result.payload as {
      statusCode?: number;
      headers?: Record<string, string>;
      multiValueHeaders?: Record<string, string[]>;
      body?: string;
      isBase64Encoded?: boolean;
    } | null;
    if (!response || typeof response.statusCode !== 'number') {
      return this.gatewayResponse(res, 'DEFAULT_5XX', 'Internal server error', requestId);
    }
    const outHeaders: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [key, value] of Object.entries(response.headers ?? {}))
      outHeaders[key.toLowerCase()] = String(value);
    for (const [key, values] of Object.entries(response.multiValueHeaders ?? {}))
      outHeaders[key.toLowerCase()] = values.map(String);
    const payload = response.body ?? '';
    res.writeHead(response.statusCode, outHeaders);
    res.end(response.isBase64Encoded ? Buffer.from(payload, 'base64') : payload);
  }
}
