#!/usr/bin/env node
// Prints the plain "N passed, N failed" line from vitest's JSON report; a second argument, `passed` or
// `failed`, counts one more check (the chaos run of .ci/run). A suite of test/ (unit, infra,
// integration, e2e) with no test file in the report never ran (vitest skips the end-to-end project
// after an unhandled error in an earlier one): it counts as one failure.
import { readdirSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.local/test-results.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`No test report at ${file}: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const extra = process.argv[3];
const passed = (report.numPassedTests ?? 0) + (extra === 'passed' ? 1 : 0);
// A test file that fails to load has no failed test of its own: count it as one failure.
const failedSuites = report.numFailedTestSuites ?? 0;
const ran = new Set(
  (report.testResults ?? []).map((result) => result.name.split('/test/')[1]?.split('/')[0]),
);
const notRun = readdirSync('test', { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && ['unit', 'infra', 'integration', 'e2e'].includes(entry.name))
  .map((entry) => entry.name)
  .filter((suite) => !ran.has(suite));
for (const suite of notRun)
  console.error(`The ${suite} tests did not run (no file of test/${suite} in ${file})`);
const failed = ((report.numFailedTests ?? 0) || failedSuites) + notRun.length + (extra === 'failed' ? 1 : 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
