/**
 * `npm run cost [-- --profile <bench json>] [--duration-scale 0.5] [--json <file>]`: dollars per million
 * orders on AWS and the monthly floor of the deployment, from a bench profile (default: the committed
 * `cost/measured-profile.json`), the prices in `cost/prices.json` and the synthesized template
 * (`cdk.out`, or `--cdk-out <dir>`, e.g. a prod synth).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchReport } from '../bench/profile';
import { type CostOptions, costReport, DEFAULT_OPTIONS, formatCostReport, type Prices } from '../cost/model';
import { inventoryOfCloudAssembly } from '../cost/template';
import { ensureSynthesized } from '../localstack/runtime/synth';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: join(ROOT, 'cost', 'measured-profile.json') },
    prices: { type: 'string', default: join(ROOT, 'cost', 'prices.json') },
    'cdk-out': { type: 'string' },
    orders: { type: 'string', default: String(DEFAULT_OPTIONS.orders) },
    'duration-scale': { type: 'string', default: String(DEFAULT_OPTIONS.durationScale) },
    'xray-sampling': { type: 'string', default: String(DEFAULT_OPTIONS.xraySampling) },
    'platform-log-bytes': { type: 'string', default: String(DEFAULT_OPTIONS.platformLogBytesPerInvocation) },
    'msk-retention-days': { type: 'string', default: String(DEFAULT_OPTIONS.mskRetentionDays) },
    'scheduled-duration-ms': { type: 'string', default: String(DEFAULT_OPTIONS.scheduledDurationMs) },
    json: { type: 'string' },
  },
});

const number = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`--${name} must be a number ≥ 0`);
  return value;
};
const options: CostOptions = {
  orders: number('orders'),
  durationScale: number('duration-scale'),
  xraySampling: number('xray-sampling'),
  platformLogBytesPerInvocation: number('platform-log-bytes'),
  mskRetentionDays: number('msk-retention-days'),
  scheduledDurationMs: number('scheduled-duration-ms'),
};

const cdkOut = values['cdk-out'] ?? join(ROOT, 'cdk.out');
if (!values['cdk-out']) await ensureSynthesized(ROOT, (line) => console.log(line));
const profile = JSON.parse(readFileSync(values.profile, 'utf8')) as BenchReport;
const prices = JSON.parse(readFileSync(values.prices, 'utf8')) as Prices;
const report = costReport(profile, inventoryOfCloudAssembly(cdkOut), prices, options);

console.log(
  `Profile: ${values.profile} (${profile.settled} orders at concurrency ${profile.concurrency}, ${profile.date}, ${Math.round(profile.pendingShare * 100)} % pending payments)`,
);
console.log(`Template: ${cdkOut}\n`);
console.log(formatCostReport(report));
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify({ profile: values.profile, cdkOut, ...report }, null, 2)}\n`);
  console.log(`\nwrote ${values.json}`);
}
