#!/usr/bin/env node
// First-use setup for `npm start` and `npm test`: installs the npm packages from package-lock.json
// when they are missing or older than the lock file (also the Node.js build of localstack/lambda-node
// that functions run on), and the system packages the local engines need
// (librdkafka for the mock Kafka cluster, a Java runtime for DynamoDB Local) through apt-get when
// running as root, and the headless Chromium the end-to-end test of the operations page drives.
// Fast when nothing is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`\n[setup] ${message}\n`);
  process.exit(1);
}

function ok(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) fail(`"${command} ${args.join(' ')}" failed with exit code ${result.status}`);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11))
  fail(`Node.js 20.11 or newer is required (found ${process.versions.node}).`);

// npm packages
const installedLock = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installedLock) || statSync(lock).mtimeMs > statSync(installedLock).mtimeMs) {
  // `npm ci` installs exactly what package-lock.json records and never rewrites it, so a test run
  // leaves the work tree clean. It stops when package.json and the lock file disagree, including a
  // lock file that lacks some platform's optional packages (Biome's and Rollup's binaries): after
  // changing dependencies, run `npm install` to update the lock file and commit both.
  console.log('[setup] Installing npm packages (npm ci) ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: root });
  if (result.status !== 0)
    fail(
      `"npm ci" failed with exit code ${result.status}. If it says package.json and package-lock.json ` +
        'are not in sync, run "npm install" to update the lock file.',
    );
}

// The Node.js build the local runtime runs functions on (the major of their Lambda runtime), installed
// apart from the project's packages so that its `node` never shadows the tools' Node.js on PATH.
const lambdaNode = join(root, 'localstack', 'lambda-node');
const lambdaNodeInstalled = join(lambdaNode, 'node_modules', '.package-lock.json');
const lambdaNodeLock = join(lambdaNode, 'package-lock.json');
if (
  !existsSync(lambdaNodeInstalled) ||
  statSync(lambdaNodeLock).mtimeMs > statSync(lambdaNodeInstalled).mtimeMs
) {
  console.log('[setup] Installing the Node.js build functions run on (npm ci in localstack/lambda-node) ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: lambdaNode });
  if (result.status !== 0) fail(`"npm ci" in localstack/lambda-node failed with exit code ${result.status}.`);
}

// Debian packages
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = ok('apt-get', ['--version']);
let aptUpdated = false;
function aptInstall(packages, why) {
  if (!isRoot || !hasApt) {
    fail(`${why} Install it with: sudo apt-get install -y ${packages.join(' ')}`);
  }
  console.log(`[setup] ${why} Installing ${packages.join(' ')} with apt-get ...`);
  if (!aptUpdated) {
    run('apt-get', ['update', '-qq']);
    aptUpdated = true;
  }
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const missing = [];
if (!ok('pkg-config', ['--exists', 'rdkafka'])) missing.push('librdkafka-dev', 'pkg-config');
if (!ok('gcc', ['--version'])) missing.push('gcc', 'libc6-dev');
if (missing.length > 0)
  aptInstall(missing, 'The local Kafka cluster (librdkafka mock) needs librdkafka and a C compiler.');

if (!ok('java', ['-version'])) {
  aptInstall(['openjdk-17-jre-headless'], 'DynamoDB Local needs a Java runtime (17 or newer).');
} else {
  const version = execFileSync('java', ['-version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const found = /version "(\d+)/.exec(version)?.[1];
  if (found && Number(found) < 11) fail(`DynamoDB Local needs Java 11 or newer (found ${found}).`);
}

// The headless browser of the operations page's end-to-end test (driven by playwright-core, which
// downloads no browser of its own). Only the tests need it: without root, say so and go on.
if (!process.env.CHROMIUM_PATH && !ok('chromium', ['--version'])) {
  if (isRoot && hasApt) {
    aptInstall(['chromium'], 'The end-to-end test of the operations page needs a headless Chromium.');
  } else {
    console.warn(
      '[setup] The end-to-end test of the operations page needs Chromium: sudo apt-get install -y chromium ' +
        '(or set CHROMIUM_PATH to a Chromium or Chrome executable).',
    );
  }
}
