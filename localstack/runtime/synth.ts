import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['bin', 'lib', 'src', 'events', 'data', 'cdk.json', 'package-lock.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export class SynthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SynthError';
  }
}

/** True when cdk.out is missing or older than any source of the app. */
export function synthIsStale(root: string, cdkOut = join(root, 'cdk.out')): boolean {
  const manifest = join(cdkOut, 'manifest.json');
  if (!existsSync(manifest)) return true;
  const built = statSync(manifest).mtimeMs;
  return SOURCES.some((source) => newestMtime(join(root, source)) > built);
}

/** Synthesizes the CDK app into cdk.out when it is stale; the local runtime always runs what deploys. */
export async function ensureSynthesized(root: string, log: (line: string) => void = () => {}): Promise<void> {
  if (!synthIsStale(root)) return;
  log('Synthesizing the CDK app (npx cdk synth) ...');
  const started = Date.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new SynthError(`cdk synth failed (exit ${code}):\n${output.join('').slice(-4000)}`);
  log(`Synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
