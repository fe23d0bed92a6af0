/**
 * Bundle size and cold init time of every function of the synthesized app (`npm run size`): the bytes
 * of each asset's handler file and of the whole asset folder in `cdk.out`, and how long a fresh Node.js
 * process of the function's runtime takes to import the handler module with the function's environment
 * from the template, every AWS endpoint and Kafka broker pointing at a closed local port (module init
 * must not call the network).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { functionDefinition } from '../localstack/runtime/functions';
import { localIdentity } from '../localstack/runtime/identity';
import { lambdaNodeFor } from '../localstack/runtime/lambda-node';
import { Resolver } from '../localstack/runtime/resolve';
import { loadCloudAssembly, resourcesOfType } from '../localstack/runtime/template';

/** Goals of a function bundle: the handler file's size and its module init time. */
export const GOALS = { bundleBytes: 300 * 1024, initMs: 100 } as const;

const RUNTIME_MODULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');

/** Nothing listens there: a connection attempt fails at once. */
const UNREACHABLE = 'http://127.0.0.1:9';

export interface FunctionBundle {
  stack: string;
  logicalId: string;
  runtime: string | undefined;
  /** The handler module (`index.mjs`). */
  handlerFile: string;
  handlerBytes: number;
  /** Every file of the asset folder (source maps included). */
  totalBytes: number;
  /** The environment the module is imported with. */
  environment: Record<string, string>;
}

export interface SizeRow {
  stack: string;
  logicalId: string;
  handlerBytes: number;
  totalBytes: number;
  /** Median import time over the runs, milliseconds; undefined when the import failed. */
  initMs: number | undefined;
  runs: number[];
  error?: string;
}

export class SizeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SizeError';
  }
}

function folderBytes(path: string): number {
  let bytes = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    bytes += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return bytes;
}

/** Every function of the cloud assembly whose code is a bundled asset, with its environment. */
export function functionBundles(cdkOut: string): FunctionBundle[] {
  const stacks = loadCloudAssembly(cdkOut);
  const resolver = new Resolver(stacks, localIdentity);
  const bundles: FunctionBundle[] = [];
  for (const located of resourcesOfType(stacks, 'AWS::Lambda::Function')) {
    const definition = functionDefinition(located, {
      cdkOut,
      stacks,
      resolver,
      endpoints: {
        dynamoDb: UNREACHABLE,
        kafkaBootstrap: '127.0.0.1:9',
        stepFunctions: UNREACHABLE,
        api: UNREACHABLE,
        controlPlane: UNREACHABLE,
        s3: UNREACHABLE,
      },
      environment: { AWS_ENDPOINT_URL: UNREACHABLE },
    });
    if (!definition) continue;
    const folder = join(definition.handlerFile, '..');
    bundles.push({
      stack: located.stack.stackName,
      logicalId: located.logicalId,
      runtime: definition.runtime,
      handlerFile: definition.handlerFile,
      handlerBytes: statSync(definition.handlerFile).size,
      totalBytes: folderBytes(folder),
      environment: definition.environment,
    });
  }
  return bundles;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

// A \`.js\` bundle is CommonJS on Lambda (its folder has no package.json); here it sits under the
// project's \`"type": "module"\`, so it is required rather than imported.
const IMPORT_SCRIPT = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(JSON.stringify({ initMs: performance.now() - started }) + '\\n');
process.exit(0);
`;

/** Imports the bundle's module once in a fresh process; resolves with the import time in milliseconds. */
export function importOnce(bundle: FunctionBundle, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      lambdaNodeFor(bundle.runtime),
      ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(bundle.handlerFile).href],
      {
        // NODE_PATH stands in for the AWS SDK the Lambda runtime provides to bundles that leave it out.
        env: { ...bundle.environment, PATH: process.env.PATH ?? '', NODE_PATH: RUNTIME_MODULES },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new SizeError(`${bundle.logicalId}: could not start node`, { cause: error }));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((text) => text.startsWith('{"initMs"'));
      if (code === 0 && line) {
        resolve((JSON.parse(line) as { initMs: number }).initMs);
        return;
      }
      const reason = signal === 'SIGKILL' ? `no result within ${timeoutMs} ms` : `exit ${code}`;
      const cause = stderr.split('\n').find((text) => /^\w*Error\b/.test(text)) ?? stderr.trim().slice(-200);
      reject(new SizeError(`${bundle.logicalId}: import failed (${reason}): ${cause}`));
    });
  });
}

/** Size and median init time of one bundle over `runs` fresh processes. */
export async function measure(bundle: FunctionBundle, runs: number): Promise<SizeRow> {
  const base = {
    stack: bundle.stack,
    logicalId: bundle.logicalId,
    handlerBytes: bundle.handlerBytes,
    totalBytes: bundle.totalBytes,
  };
  const times: number[] = [];
  // A `.js` bundle is CommonJS on Lambda (its folder has no package.json) but ESM under this
  // project's `"type": "module"`: it is imported from a copy of its folder outside the project.
  const copy = bundle.handlerFile.endsWith('.js')
    ? mkdtempSync(join(tmpdir(), 'order-saga-size-'))
    : undefined;
  if (copy) cpSync(dirname(bundle.handlerFile), copy, { recursive: true });
  const target = copy ? { ...bundle, handlerFile: join(copy, basename(bundle.handlerFile)) } : bundle;
  try {
    for (let i = 0; i < runs; i++) times.push(await importOnce(target));
  } catch (error) {
    return {
      ...base,
      initMs: undefined,
      runs: times,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    if (copy) rmSync(copy, { recursive: true, force: true });
  }
  return { ...base, initMs: median(times), runs: times.map((time) => Math.round(time * 10) / 10) };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The rows as a markdown table against the goals, slowest first within each stack order. */
export function formatSizeTable(rows: readonly SizeRow[]): string {
  const verdict = (ok: boolean) => (ok ? 'ok' : 'over');
  const lines = [
    `| stack | function | handler file | asset total | init (median) | ≤ ${kb(GOALS.bundleBytes)} | ≤ ${GOALS.initMs} ms |`,
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map((row) => {
      const init =
        row.initMs === undefined
          ? `failed: ${(row.error ?? '').split('\n')[0]?.slice(0, 160)}`
          : `${row.initMs.toFixed(0)} ms`;
      return `| ${row.stack.replace(/^OrderSaga-[a-z0-9-]+?-/, '')} | ${row.logicalId} | ${kb(row.handlerBytes)} | ${kb(row.totalBytes)} | ${init} | ${verdict(row.handlerBytes <= GOALS.bundleBytes)} | ${row.initMs === undefined ? '-' : verdict(row.initMs <= GOALS.initMs)} |`;
    }),
  ];
  const within = rows.filter((row) => row.handlerBytes <= GOALS.bundleBytes).length;
  const fast = rows.filter((row) => row.initMs !== undefined && row.initMs <= GOALS.initMs).length;
  lines.push(
    '',
    `${within}/${rows.length} handler files within ${kb(GOALS.bundleBytes)}, ${fast}/${rows.length} inits within ${GOALS.initMs} ms.`,
  );
  return lines.join('\n');
}
