import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSynthesized } from '#localstack/runtime/synth';

/** The end-to-end suites run what `cdk deploy` would deploy: synthesize cdk.out once if it is stale. */
export default async function setup(): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  await ensureSynthesized(root, (line) => console.log(`[e2e] ${line}`));
}
