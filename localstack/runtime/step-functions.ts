import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalLambda } from './lambda';
import type { LogSink } from './logs';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './resolve';

// aws-local-stepfunctions uses Promise.withResolvers (Node 22+); provide it on Node 20.
const promiseCtor = Promise as unknown as { withResolvers?: () => unknown };
promiseCtor.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const { StateMachine } = await import('aws-local-stepfunctions');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDefinition = Record<string, Json> & { Type: string };

export interface StateMachineDefinition {
  logicalId: string;
  arn: string;
  name: string;
  definition: { StartAt: string; States: Record<string, StateDefinition> } & Record<string, Json>;
}

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  /** State transitions so far (states entered and retries), as Standard Workflows bill them. */
  transitions: number;
  abort: () => void;
}

export class StepFunctionsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

class LambdaTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Reads a simple reference path such as `$.waitSeconds` or `$.check.nextWaitSeconds`. */
function readPath(input: unknown, path: string): unknown {
  if (path === '$') return input;
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      input,
    );
}

/**
 * Standard workflows run locally with aws-local-stepfunctions: the definition synthesized into the
 * template, Lambda tasks invoking the local functions, Wait states shortened by the time scale, and
 * the Step Functions API subset the functions call (StartExecution, DescribeExecution, StopExecution).
 */
export class LocalStepFunctions {
  readonly executions = new Map<string, Execution>();
  private server: Server | undefined;
  endpoint = '';

  constructor(
    private readonly machines: Map<string, StateMachineDefinition>,
    private readonly functionByArn: (arn: string) => LocalLambda | undefined,
    private readonly logs: LogSink,
    private readonly timeScale: number,
  ) {}

  /** Wait states become local pass-through tasks that sleep the scaled time, so SecondsPath scales too. */
  private prepare(machine: StateMachineDefinition) {
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const states: Record<string, StateDefinition> = {};
    const sleep = (seconds: number) =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, (seconds * 1000) / this.timeScale)));
    for (const [name, state] of Object.entries(machine.definition.States)) {
      if (state.Type === 'Wait' && (state.Seconds !== undefined || state.SecondsPath !== undefined)) {
        const { Seconds, SecondsPath, Type: _type, ...rest } = state;
        states[name] = { ...rest, Type: 'Task', Resource: 'arn:aws:states:::local:wait' };
        handlers[name] = async (input) => {
          const seconds = Number(Seconds ?? readPath(input, String(SecondsPath)));
          await sleep(Number.isFinite(seconds) ? seconds : 0);
          return input;
        };
        continue;
      }
      states[name] = state;
      const resource = typeof state.Resource === 'string' ? state.Resource : '';
      if (state.Type !== 'Task') continue;
      const invokeIntegration = resource.startsWith('arn:aws:states:::lambda:invoke');
      const directArn = resource.startsWith('arn:aws:lambda:') ? resource : undefined;
      if (!invokeIntegration && !directArn) continue;
      handlers[name] = async (input) => {
        const request = input as { FunctionName?: string; Payload?: Json };
        const arn = invokeIntegration ? String(request.FunctionName) : (directArn as string);
        const fn = this.functionByArn(arn);
        if (!fn) throw new LambdaTaskError('Lambda.ResourceNotFoundException', `Function not found: ${arn}`);
        const result = await fn.invoke(invokeIntegration ? (request.Payload ?? null) : input);
        if (!result.ok) throw new LambdaTaskError(result.error.errorType, result.error.errorMessage);
        const payload = (result.payload ?? null) as Json;
        return invokeIntegration
          ? { Payload: payload, StatusCode: 200, ExecutedVersion: '$LATEST' }
          : payload;
      };
    }
    return { definition: { ...machine.definition, States: states }, handlers };
  }

  startExecution(stateMachineArn: string, name: string | undefined, input: string | undefined): Execution {
    const machine = this.machines.get(stateMachineArn);
    if (!machine)
      throw new StepFunctionsApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    const executionName = name ?? crypto.randomUUID();
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${machine.name}:${executionName}`;
    const inputText = input ?? '{}';
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.input === inputText && existing.status === 'RUNNING') return existing;
      throw new StepFunctionsApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(inputText) as Json;
    } catch {
      throw new StepFunctionsApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
    }
    const { definition, handlers } = this.prepare(machine);
    const stateMachine = new StateMachine(definition as never, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
    const started = Date.now();
    const run = stateMachine.run(parsed as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: {
          Id: executionArn,
          Name: executionName,
          StartTime: new Date(started).toISOString(),
          Input: parsed as never,
          RoleArn: 'local',
        },
        StateMachine: { Id: stateMachineArn, Name: machine.name },
      } as never,
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name: executionName,
      status: 'RUNNING',
      input: inputText,
      startDate: started,
      transitions: 0,
      abort: run.abort,
    };
    this.executions.set(executionArn, execution);
    void (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered' || event.type === 'StateRetried') execution.transitions++;
      }
    })().catch(() => undefined);
    run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
        execution.stopDate = Date.now();
      },
      (error: Error) => {
        const aborted = error.name === 'ExecutionAbortedError';
        execution.status = aborted
          ? 'ABORTED'
          : error.name === 'ExecutionTimeoutError'
            ? 'TIMED_OUT'
            : 'FAILED';
        execution.error = (error.cause as { name?: string } | undefined)?.name ?? error.name;
        execution.cause = error.message;
        execution.stopDate = Date.now();
        if (!aborted)
          this.logs.write('step-functions', `${executionArn}: ${execution.status}: ${error.message}`);
      },
    );
    return execution;
  }

  private describe(executionArn: string) {
    const execution = this.executions.get(executionArn);
    if (!execution)
      throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      input: execution.input,
      startDate: execution.startDate / 1000,
      ...(execution.output !== undefined ? { output: execution.output } : {}),
      ...(execution.stopDate !== undefined ? { stopDate: execution.stopDate / 1000 } : {}),
      ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
    };
  }

  /** Serves one Step Functions API call (the `X-Amz-Target` action and its JSON body). */
  handle(action: string, body: Record<string, unknown>): unknown {
    switch (action) {
      case 'StartExecution': {
        const execution = this.startExecution(
          String(body.stateMachineArn),
          body.name as string | undefined,
          body.input as string | undefined,
        );
        return { executionArn: execution.executionArn, startDate: execution.startDate / 1000 };
      }
      case 'DescribeExecution':
        return this.describe(String(body.executionArn));
      case 'StopExecution': {
        const execution = this.executions.get(String(body.executionArn));
        if (!execution) throw new StepFunctionsApiError('ExecutionDoesNotExist', 'Execution Does Not Exist');
        execution.abort();
        return { stopDate: Date.now() / 1000 };
      }
      default:
        throw new StepFunctionsApiError('UnknownOperationException', `${action} is not emulated locally`);
    }
  }

  /** Serves the Step Functions JSON API on localhost; functions reach it through AWS_ENDPOINT_URL_SFN. */
  async listen(port: number): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const action =
          String(req.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '';
        try {
          const body = JSON.parse(Buffer.concat(chunks as Uint8Array[]).toString('utf8') || '{}') as Record<
            string,
            unknown
          >;
          const result = this.handle(action, body);
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(result));
        } catch (error) {
          const type = error instanceof StepFunctionsApiError ? error.type : 'InternalFailure';
          res.writeHead(error instanceof StepFunctionsApiError ? 400 : 500, {
            'content-type': 'application/x-amz-json-1.0',
          });
          res.end(JSON.stringify({ __type: type, message: (error as Error).message }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    for (const execution of this.executions.values()) if (execution.status === 'RUNNING') execution.abort();
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
