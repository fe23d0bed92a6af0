import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoApiError, type LocalCognito } from './cognito';
import { FaultError, type FaultSpec, type LocalFaults } from './faults';
import type { LocalLambda } from './lambda';
import {
  eventSourceArnOf,
  functionConfiguration,
  type KafkaMappingRequest,
  kafkaMappingRequest,
  LambdaApiError,
  type LocalMapping,
  mappingConfiguration,
  updateMapping,
  uuidOf,
} from './lambda-api';
import type { LogSink } from './logs';
import { type LocalSecrets, SecretsManagerApiError } from './secrets';
import { type LocalStepFunctions, StepFunctionsApiError } from './step-functions';

/** What the control plane serves; read on every request, so parts may be added after it listens. */
export interface ControlPlaneTargets {
  functions: () => Iterable<LocalLambda>;
  mappings: () => readonly LocalMapping[];
  kafka?: { bootstrapServers: string; clusterArns: () => readonly string[] };
  stepFunctions?: () => LocalStepFunctions | undefined;
  faults?: LocalFaults;
  /**
   * Creates an MSK event source mapping (CreateEventSourceMapping): returns it at once, listed, and a
   * promise that settles once its consumer has joined (or failed to).
   */
  createKafkaMapping?: (
    request: KafkaMappingRequest,
    fn: LocalLambda,
  ) => { mapping: LocalMapping; started: Promise<void> };
  /** Stops a mapping and removes it from the list (DeleteEventSourceMapping). */
  deleteMapping?: (mapping: LocalMapping) => Promise<void>;
  /** User pools: `InitiateAuth`, and each pool's JWKS and OpenID configuration under `/<poolId>/`. */
  cognito?: LocalCognito;
  /** Secrets: `GetSecretValue`, `DescribeSecret`, `PutSecretValue`. */
  secrets?: LocalSecrets;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent as is (a function's payload). */
  raw?: string;
}

const API = '/2015-03-31';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

/** Reads a request body as JSON; an empty body is `{}`. */
function parseJson(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new LambdaApiError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
}

/**
 * The AWS APIs of the local runtime on one HTTP endpoint, so that the AWS SDK and the AWS CLI work
 * unchanged with `--endpoint-url`: Lambda (functions, invoke, event source mappings), Kafka
 * (GetBootstrapBrokers), Step Functions (the calls `step-functions.ts` serves), Cognito user pools
 * (`InitiateAuth`; each pool's JWKS at `/<poolId>/.well-known/jwks.json`, which is also where its
 * tokens' issuer points), Secrets Manager, and the local fault endpoint under `/_local/faults`.
 * Requests are not authenticated (signatures are not checked); the endpoint listens on 127.0.0.1 only.
 */
export class ControlPlane {
  private server: Server | undefined;
  private readonly lastModified = new WeakMap<LocalLambda, Date>();
  /** Mappings created through the API whose consumer has not joined yet, and mappings being deleted. */
  private readonly transitions = new WeakMap<LocalMapping, 'Creating' | 'Deleting'>();
  private readonly started = new Date();
  url = '';

  constructor(
    private readonly targets: ControlPlaneTargets,
    private readonly logs: LogSink,
  ) {}

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks as Uint8Array[]).toString('utf8');
        this.handle(req, body).then(
          (reply) => this.send(res, reply),
          (error: unknown) => this.send(res, this.errorReply(req, error)),
        );
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private send(res: ServerResponse, reply: Reply): void {
    const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  private errorReply(req: IncomingMessage, error: unknown): Reply {
    if (error instanceof LambdaApiError) {
      return json(error.status, { Type: 'User', Message: error.message }, { 'x-amzn-ErrorType': error.type });
    }
    if (error instanceof StepFunctionsApiError) {
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-ErrorType': error.type },
        body: { __type: error.type, message: error.message },
      };
    }
    if (error instanceof FaultError) return json(error.status, { message: error.message });
    if (error instanceof CognitoApiError || error instanceof SecretsManagerApiError) {
      return {
        status: error instanceof CognitoApiError ? error.status : 400,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': error.type },
        body: { __type: error.type, message: error.message },
      };
    }
    this.logs.write('control-plane', `${req.method} ${req.url}: ${String(error)}`);
    return json(500, { Type: 'Service', Message: String(error) }, { 'x-amzn-ErrorType': 'ServiceException' });
  }

  private async handle(req: IncomingMessage, body: string): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const target = String(req.headers['x-amz-target'] ?? '');

    if (method === 'POST' && target.startsWith('AWSStepFunctions.')) return this.stepFunctions(target, body);
    if (method === 'POST' && target.startsWith('AWSCognitoIdentityProviderService.'))
      return this.awsJson(target, body, (operation, request) => {
        if (!this.targets.cognito)
          throw new CognitoApiError('UnknownOperationException', 'No user pool runs locally');
        return this.targets.cognito.handle(operation, request);
      });
    if (method === 'POST' && target.startsWith('secretsmanager.'))
      return this.awsJson(target, body, (operation, request) => {
        if (!this.targets.secrets)
          throw new SecretsManagerApiError('UnknownOperationException', 'No secrets run locally');
        return this.targets.secrets.handle(operation, request);
      });
    const pool = segments[0] ? this.targets.cognito?.pool(segments[0]) : undefined;
    if (pool && method === 'GET' && segments[1] === '.well-known') {
      if (segments[2] === 'jwks.json') return json(200, pool.jwks);
      if (segments[2] === 'openid-configuration')
        return json(200, {
          issuer: pool.issuer,
          jwks_uri: `${pool.issuer}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['public'],
          response_types_supported: ['token'],
        });
    }
    if (url.pathname.startsWith(`${API}/functions`))
      return this.lambdaFunctions(method, segments.slice(2), url, req, body);
    if (url.pathname.startsWith(`${API}/event-source-mappings`))
      return this.eventSourceMappings(method, segments.slice(2), url, body);
    if (
      segments[0] === 'v1' &&
      segments[1] === 'clusters' &&
      segments[3] === 'bootstrap-brokers' &&
      method === 'GET'
    )
      return this.bootstrapBrokers(segments[2] ?? '');
    if (segments[0] === '_local' && segments[1] === 'faults')
      return this.faults(method, segments.slice(2), body);
    throw new LambdaApiError(
      404,
      'UnknownOperationException',
      `${method} ${url.pathname} is not served locally`,
    );
  }

  // Lambda -----------------------------------------------------------------------------------------

  /** The function a path names: a name, an ARN or a partial ARN, optionally qualified with `$LATEST`. */
  private findFunction(reference: string, qualifier?: string | null): LocalLambda {
    const afterFunction = reference.includes(':function:')
      ? (reference.split(':function:')[1] ?? '')
      : reference;
    const [name, pathQualifier] = afterFunction.split(':');
    const version = qualifier ?? pathQualifier;
    const fn = [...this.targets.functions()].find((candidate) => candidate.definition.name === name);
    if (!fn || (version !== undefined && version !== '$LATEST'))
      throw new LambdaApiError(
        404,
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}${version ? `:${version}` : ''}`,
      );
    return fn;
  }

  private configurationOf(fn: LocalLambda) {
    return functionConfiguration(fn, this.lastModified.get(fn) ?? this.started);
  }

  private async lambdaFunctions(
    method: string,
    path: string[],
    url: URL,
    req: IncomingMessage,
    body: string,
  ): Promise<Reply> {
    const [name, action] = path;
    if (name === undefined && method === 'GET') {
      const all = [...this.targets.functions()].sort((a, b) =>
        a.definition.name.localeCompare(b.definition.name),
      );
      const start = Number(url.searchParams.get('Marker') ?? 0) || 0;
      const max = Math.min(Number(url.searchParams.get('MaxItems') ?? 50) || 50, 10_000);
      const page = all.slice(start, start + max);
      return json(200, {
        Functions: page.map((fn) => this.configurationOf(fn)),
        ...(start + max < all.length ? { NextMarker: String(start + max) } : {}),
      });
    }
    if (name === undefined) throw new LambdaApiError(404, 'UnknownOperationException', 'Unknown operation');
    const fn = this.findFunction(name, url.searchParams.get('Qualifier'));
    if (action === undefined && method === 'GET') {
      return json(200, { Configuration: this.configurationOf(fn), Code: { RepositoryType: 'S3' } });
    }
    if (action === 'configuration' && method === 'GET') return json(200, this.configurationOf(fn));
    if (action === 'configuration' && method === 'PUT')
      return this.updateFunctionConfiguration(fn, parseJson(body));
    if (action === 'invocations' && method === 'POST') return this.invoke(fn, req, body);
    throw new LambdaApiError(
      404,
      'UnknownOperationException',
      `${method} ${url.pathname} is not served locally`,
    );
  }

  private async updateFunctionConfiguration(fn: LocalLambda, body: Record<string, unknown>): Promise<Reply> {
    const unsupported = Object.keys(body).filter((key) => key !== 'Environment' && key !== 'RevisionId');
    if (unsupported.length > 0)
      throw new LambdaApiError(
        400,
        'InvalidParameterValueException',
        `The local runtime cannot update ${unsupported.join(', ')}; only Environment`,
      );
    const variables = (body.Environment as { Variables?: unknown } | undefined)?.Variables ?? {};
    if (
      variables === null ||
      typeof variables !== 'object' ||
      Object.values(variables).some((value) => typeof value !== 'string')
    )
      throw new LambdaApiError(
        400,
        'InvalidParameterValueException',
        'Environment.Variables must map names to strings',
      );
    if (body.Environment !== undefined) {
      await fn.replaceVariables(variables as Record<string, string>);
      this.lastModified.set(fn, new Date());
      this.logs.write('control-plane', `${fn.definition.name}: environment updated`);
    }
    return json(200, this.configurationOf(fn));
  }

  private async invoke(fn: LocalLambda, req: IncomingMessage, body: string): Promise<Reply> {
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    let event: unknown = {};
    if (body.trim() !== '') {
      try {
        event = JSON.parse(body);
      } catch {
        throw new LambdaApiError(
          400,
          'InvalidRequestContentException',
          'Could not parse request body into json',
        );
      }
    }
    const headers = { 'x-amz-executed-version': '$LATEST' };
    if (type === 'DryRun') return { status: 204, headers };
    if (type === 'Event') {
      void fn.invoke(event).then(
        (result) => {
          if (!result.ok)
            this.logs.write(
              fn.definition.name,
              `async invocation failed: ${result.error.errorType}: ${result.error.errorMessage}`,
            );
        },
        (error: unknown) => this.logs.write(fn.definition.name, `async invocation failed: ${String(error)}`),
      );
      return { status: 202, headers };
    }
    if (type !== 'RequestResponse')
      throw new LambdaApiError(400, 'InvalidParameterValueException', `Unknown InvocationType ${type}`);
    const result = await fn.invoke(event);
    if (result.ok) {
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'application/json' },
        raw: JSON.stringify(result.payload ?? null),
      };
    }
    return {
      status: 200,
      headers: { ...headers, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
      raw: JSON.stringify({
        errorType: result.error.errorType,
        errorMessage: result.error.errorMessage,
        trace: result.error.stack ?? [],
      }),
    };
  }

  private findMapping(uuid: string): LocalMapping {
    const mapping = this.targets.mappings().find((candidate) => uuidOf(candidate) === uuid);
    if (!mapping)
      throw new LambdaApiError(
        404,
        'ResourceNotFoundException',
        'The resource you requested does not exist.',
      );
    return mapping;
  }

  private async eventSourceMappings(method: string, path: string[], url: URL, body: string): Promise<Reply> {
    const [uuid] = path;
    if (uuid === undefined && method === 'GET') {
      const functionName = url.searchParams.get('FunctionName');
      const sourceArn = url.searchParams.get('EventSourceArn');
      const fn = functionName ? this.findFunction(functionName) : undefined;
      const all = this.targets
        .mappings()
        .filter((mapping) => !fn || mapping.definition.fn === fn)
        .filter((mapping) => !sourceArn || eventSourceArnOf(mapping) === sourceArn);
      const start = Number(url.searchParams.get('Marker') ?? 0) || 0;
      const max = Math.min(Number(url.searchParams.get('MaxItems') ?? 100) || 100, 10_000);
      return json(200, {
        EventSourceMappings: all.slice(start, start + max).map((mapping) => this.describeMapping(mapping)),
        ...(start + max < all.length ? { NextMarker: String(start + max) } : {}),
      });
    }
    if (uuid === undefined && method === 'POST') return this.createMapping(parseJson(body));
    if (uuid === undefined) throw new LambdaApiError(404, 'UnknownOperationException', 'Unknown operation');
    const mapping = this.findMapping(uuid);
    if (method === 'GET') return json(200, this.describeMapping(mapping));
    if (method === 'PUT') {
      updateMapping(mapping, parseJson(body));
      this.logs.write('control-plane', `${mapping.definition.logicalId}: mapping updated (${body})`);
      return json(202, this.describeMapping(mapping));
    }
    if (method === 'DELETE') return this.deleteMapping(mapping);
    throw new LambdaApiError(
      404,
      'UnknownOperationException',
      `${method} ${url.pathname} is not served locally`,
    );
  }

  /** A mapping as the Lambda API describes it, with `Creating`/`Deleting` while the API changes it. */
  private describeMapping(mapping: LocalMapping) {
    const configuration = mappingConfiguration(mapping);
    const transition = this.transitions.get(mapping);
    return transition ? { ...configuration, State: transition } : configuration;
  }

  private createMapping(body: Record<string, unknown>): Reply {
    const create = this.targets.createKafkaMapping;
    if (!create)
      throw new LambdaApiError(404, 'UnknownOperationException', 'Mappings cannot be created here');
    const request = kafkaMappingRequest(body);
    const fn = this.findFunction(request.functionName);
    if (!this.targets.kafka?.clusterArns().includes(request.clusterArn))
      throw new LambdaApiError(
        400,
        'InvalidParameterValueException',
        `Unknown cluster ${request.clusterArn}`,
      );
    if (request.consumerGroupId !== undefined) {
      const taken = this.targets
        .mappings()
        .some(
          (mapping) =>
            'consumerGroupId' in mapping.definition &&
            mapping.definition.consumerGroupId === request.consumerGroupId,
        );
      if (taken)
        throw new LambdaApiError(
          409,
          'ResourceConflictException',
          `The consumer group ${request.consumerGroupId} is used by another event source mapping`,
        );
    }
    const { mapping, started } = create(request, fn);
    this.transitions.set(mapping, 'Creating');
    void started
      .catch((error: unknown) =>
        this.logs.write('control-plane', `${uuidOf(mapping)}: start failed: ${String(error)}`),
      )
      .finally(() => {
        if (this.transitions.get(mapping) === 'Creating') this.transitions.delete(mapping);
      });
    this.logs.write('control-plane', `${uuidOf(mapping)}: mapping created (${JSON.stringify(body)})`);
    return json(202, this.describeMapping(mapping));
  }

  private deleteMapping(mapping: LocalMapping): Reply {
    const remove = this.targets.deleteMapping;
    if (!remove)
      throw new LambdaApiError(404, 'UnknownOperationException', 'Mappings cannot be deleted here');
    if (this.transitions.get(mapping) !== 'Deleting') {
      this.transitions.set(mapping, 'Deleting');
      void remove(mapping).catch((error: unknown) =>
        this.logs.write('control-plane', `${uuidOf(mapping)}: delete failed: ${String(error)}`),
      );
      this.logs.write('control-plane', `${uuidOf(mapping)}: mapping deleted`);
    }
    return json(202, this.describeMapping(mapping));
  }

  // Kafka, Step Functions --------------------------------------------------------------------------

  private bootstrapBrokers(clusterArn: string): Reply {
    const kafka = this.targets.kafka;
    if (!kafka?.clusterArns().includes(clusterArn)) {
      return json(
        404,
        { message: `Cluster ${clusterArn} does not exist` },
        { 'x-amzn-ErrorType': 'NotFoundException' },
      );
    }
    return json(200, { bootstrapBrokerString: kafka.bootstrapServers });
  }

  private stepFunctions(target: string, body: string): Reply {
    const sfn = this.targets.stepFunctions?.();
    if (!sfn) throw new StepFunctionsApiError('UnknownOperationException', 'Step Functions is not running');
    let parsed: Record<string, unknown>;
    try {
      parsed = body.trim() === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    } catch {
      throw new StepFunctionsApiError('SerializationException', 'The request body is not JSON');
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: sfn.handle(target.split('.').pop() ?? '', parsed),
    };
  }

  /** A JSON 1.1 protocol call (`X-Amz-Target: <service>.<operation>`) answered by `serve`. */
  private awsJson(
    target: string,
    body: string,
    serve: (operation: string, request: Record<string, unknown>) => unknown,
  ): Reply {
    let request: Record<string, unknown>;
    try {
      request = body.trim() === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
    } catch {
      throw new CognitoApiError('SerializationException', 'The request body is not JSON');
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: serve(target.split('.').pop() ?? '', request),
    };
  }

  // Local faults ----------------------------------------------------------------------------------

  private async faults(method: string, path: string[], body: string): Promise<Reply> {
    const faults = this.targets.faults;
    if (!faults) throw new FaultError(404, 'This runtime has no fault endpoint');
    const [name] = path;
    if (name === undefined && method === 'GET') return json(200, { faults: faults.list() });
    if (name === undefined && method === 'DELETE') {
      await faults.removeAll();
      return { status: 204 };
    }
    if (name !== undefined && method === 'POST') {
      let spec: Record<string, unknown>;
      try {
        spec = body.trim() === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        throw new FaultError(400, 'The request body is not JSON');
      }
      const fault = await faults.add({ ...spec, type: name } as FaultSpec);
      return json(201, fault);
    }
    if (name !== undefined && method === 'GET') {
      const fault = faults.get(name);
      if (!fault) throw new FaultError(404, `No fault ${name}`);
      return json(200, fault);
    }
    if (name !== undefined && method === 'DELETE') {
      if (!(await faults.remove(name))) throw new FaultError(404, `No fault ${name}`);
      return { status: 204 };
    }
    throw new FaultError(405, `${method} is not allowed here`);
  }
}
