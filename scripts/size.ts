/**
 * `npm run size [-- --runs 5] [--json <file>] [--filter <text>]`: bundle size and cold init time of every
 * function of the synthesized app (`cdk.out`, synthesized first when stale), against the goals of
 * 300 KB per handler file and 100 ms of module init. Reports; never fails on a goal.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureSynthesized } from '../localstack/runtime/synth';
import { formatSizeTable, functionBundles, GOALS, measure, type SizeRow } from './bundle-size';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    json: { type: 'string' },
    filter: { type: 'string' },
    'cdk-out': { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError('--runs must be a positive integer');
const cdkOut = values['cdk-out'] ?? join(ROOT, 'cdk.out');
if (!values['cdk-out']) await ensureSynthesized(ROOT, (line) => console.log(line));

const bundles = functionBundles(cdkOut).filter(
  (bundle) => !values.filter || `${bundle.stack}/${bundle.logicalId}`.includes(values.filter),
);
console.log(`Measuring ${bundles.length} functions, ${runs} fresh processes each ...`);
const rows: SizeRow[] = [];
for (const bundle of bundles) rows.push(await measure(bundle, runs));
console.log(`\n${formatSizeTable(rows)}`);
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ date: new Date().toISOString(), runs, goals: GOALS, functions: rows }, null, 2)}\n`,
  );
  console.log(`\nwrote ${values.json}`);
}
