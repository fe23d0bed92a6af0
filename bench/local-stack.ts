import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRuntime } from '../localstack/runtime/runtime';
import { ensureSynthesized } from '../localstack/runtime/synth';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts a private local stack for a tool run (free ports, logs in a temp dir), ready as `npm start`
 * is: every mapping consuming, one execution environment of each function initialized.
 */
export async function startLocalStack(timeScale: number): Promise<LocalRuntime> {
  await ensureSynthesized(ROOT, (line) => console.log(line));
  const logFile = join(mkdtempSync(join(tmpdir(), 'order-saga-run-')), 'functions.log');
  console.log(`Starting a local stack (function logs: ${logFile}) ...`);
  return LocalRuntime.start({
    cdkOut: join(ROOT, 'cdk.out'),
    apiPort: 0,
    logFile,
    timeScale,
    runSchedules: true,
    provisionedEnvironments: 1,
  });
}
