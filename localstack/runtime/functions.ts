import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRuntimeError } from './errors';
import { localIdentity } from './identity';
import { type FunctionDefinition, LocalLambda } from './lambda';
import { LambdaNodeError, lambdaNodeFor } from './lambda-node';
import { type LocalEndpoints, localEnvironment } from './local-env';
import type { LogSink } from './logs';
import type { Resolver } from './resolve';
import { type LocatedResource, resourcesOfType, type StackTemplate } from './template';

export interface FunctionsContext {
  cdkOut: string;
  stacks: readonly StackTemplate[];
  resolver: Resolver;
  /** Where the functions find the local engines, baked into their environment. */
  endpoints: LocalEndpoints;
  /** Extra or replaced environment variables for every function. */
  environment: Record<string, string>;
}

/**
 * The definition of one `AWS::Lambda::Function` of the templates: its bundle in cdk.out (the
 * `aws:asset:path` metadata), handler, memory, timeout and environment. Undefined for a function
 * whose code is not a bundled asset on disk (inline code), which the runtime cannot run.
 */
export function functionDefinition(
  { stack, logicalId, resource }: LocatedResource,
  { cdkOut, resolver, endpoints, environment }: FunctionsContext,
): FunctionDefinition | undefined {
  const props = resource.Properties ?? {};
  const assetPath = resource.Metadata?.['aws:asset:path'];
  const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler';
  if (typeof assetPath !== 'string') return undefined;
  const dir = join(cdkOut, assetPath);
  const [fileBase, handlerExport = 'handler'] = handler.split('.');
  const file = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, `${fileBase}${ext}`)).find(existsSync);
  if (!file) return undefined;
  const identity = localIdentity(stack, logicalId);
  const memoryMb = Number(props.MemorySize ?? 128);
  const timeoutMs = Number(props.Timeout ?? 3) * 1000;
  const templateEnv = resolver.resolve(
    stack,
    (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
  ) as Record<string, unknown>;
  const stringEnv = Object.fromEntries(
    Object.entries(templateEnv).map(([k, v]) => [k, v === undefined ? '' : String(v)]),
  );
  const env = localEnvironment(
    stringEnv,
    { name: identity.ref, memoryMb, timeoutMs },
    endpoints,
    environment,
  );
  const role = resolver.resolve(stack, props.Role);
  return {
    logicalId,
    name: identity.ref,
    arn: identity.attributes.Arn as string,
    handlerFile: file,
    handlerExport,
    memoryMb,
    timeoutMs,
    environment: env,
    // The function's own variables are those the template (and the overrides) set, as resolved here.
    variables: Object.fromEntries(
      [...Object.keys(stringEnv), ...Object.keys(environment)].map((key) => [key, env[key] ?? '']),
    ),
    runtime: typeof props.Runtime === 'string' ? props.Runtime : undefined,
    handler,
    role: typeof role === 'string' ? role : undefined,
    description: typeof props.Description === 'string' ? props.Description : undefined,
  };
}

/**
 * The template's functions as LocalLambdas, by ARN, and the ways other resources refer to them
 * (an ARN, possibly qualified with `:$LATEST`, or a function name).
 */
export class LocalFunctions {
  readonly byArn = new Map<string, LocalLambda>();

  constructor(
    private readonly logs: LogSink,
    private readonly concurrency: number,
  ) {}

  /** Creates a LocalLambda for every runnable function of the templates (processes start on first invoke). */
  define(context: FunctionsContext): void {
    for (const located of resourcesOfType(context.stacks, 'AWS::Lambda::Function')) {
      const definition = functionDefinition(located, context);
      if (definition) {
        // Fails the start, naming what to install, when a function's Node.js major is missing.
        try {
          lambdaNodeFor(definition.runtime);
        } catch (error) {
          if (error instanceof LambdaNodeError)
            throw new LocalRuntimeError(`Function ${definition.logicalId}: ${error.message}`, {
              cause: error,
            });
          throw error;
        }
        this.byArn.set(definition.arn, new LocalLambda(definition, this.logs, this.concurrency));
      }
    }
  }

  /** The function with this ARN (a `:$LATEST` qualifier is ignored). */
  get(arn: unknown): LocalLambda | undefined {
    return typeof arn === 'string' ? this.byArn.get(arn.replace(/:\$LATEST$/, '')) : undefined;
  }

  /** The function with this ARN or name, as an event source mapping's FunctionName accepts both. */
  find(reference: unknown): LocalLambda | undefined {
    return this.get(reference) ?? [...this.byArn.values()].find((fn) => fn.definition.name === reference);
  }

  /** The function whose logical id or name contains `fragment` (exactly one must match). */
  matching(fragment: string): LocalLambda {
    const matches = [...this.byArn.values()].filter(
      (fn) => fn.definition.logicalId.includes(fragment) || fn.definition.name.includes(fragment),
    );
    if (matches.length !== 1) {
      throw new LocalRuntimeError(
        `Expected one function matching "${fragment}", found ${matches.map((m) => m.definition.logicalId).join(', ') || 'none'}`,
      );
    }
    return matches[0] as LocalLambda;
  }

  /** Ends every execution environment of every function. */
  async stop(): Promise<void> {
    await Promise.all([...this.byArn.values()].map((fn) => fn.stop()));
  }
}
