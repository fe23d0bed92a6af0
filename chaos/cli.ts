import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { awsClients } from './aws';
import { ApiClient, CognitoSignIn } from './client';
import { ChaosError } from './errors';
import { type FaultLedger, LocalFaultEndpoint } from './faults';
import { details, failed, type ScenarioRow, table } from './report';
import { runScenarios } from './run';
import { FULL, QUICK, SCENARIOS, scenariosFor } from './scenarios';
import { SIGN_IN_ENV } from './sign-in';
import { SystemMap } from './system';
import { awsTarget } from './targets/aws';
import { localTarget } from './targets/local';
import type { Target } from './targets/target';
import { kafkaConfig, TopicWatcher } from './topics';

const USAGE = `Usage: npm run chaos -- [--quick] [--target local|aws] [--scenarios a,b] [options]

Drives orders against the system while it injects faults, waits for quiet, checks the invariants from
the tables, the PSP and the topics, and prints one table. Exits 1 when any invariant is violated.

  --quick                    every scenario, small (CI): few orders, short faults
  --scenarios a,b            only these (${SCENARIOS.map((scenario) => scenario.name).join(', ')})
  --list                     list the scenarios and what each does
  --target local             (default) start a local runtime from cdk.out, or attach to a running one:
    --control-plane-url URL    its AWS APIs (the "AWS APIs" line of npm start)
    --api-url URL              its REST API
    --dynamodb-endpoint URL    its DynamoDB Local
    --time-scale N             time scale of a runtime the tool starts (default 10, quick 20)
  --target aws               a deployed stage, with the AWS SDK's credentials and region:
    --api-url URL              the stage's REST API
    --region REGION
  --stage NAME               the stage's name (functions OrderSaga-<stage>-*; default dev)
  --user-pool-client-id ID   the user pool's app client (${SIGN_IN_ENV.clientId}); with --target aws,
                             or a running local system without .local/runtime.json
  --customers a,b            the customers' usernames (${SIGN_IN_ENV.customers}); their password in
                             ${SIGN_IN_ENV.password}. A local runtime's demo customers sign in by themselves
  --no-topics                do not read the topics (when the Kafka cluster is out of reach)
  --report FILE              also write the table and the findings to FILE (Markdown)`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    target: { type: 'string', default: 'local' },
    scenarios: { type: 'string' },
    list: { type: 'boolean', default: false },
    'control-plane-url': { type: 'string' },
    'api-url': { type: 'string' },
    'dynamodb-endpoint': { type: 'string' },
    'time-scale': { type: 'string' },
    region: { type: 'string' },
    stage: { type: 'string', default: 'dev' },
    'user-pool-client-id': { type: 'string' },
    customers: { type: 'string' },
    'no-topics': { type: 'boolean', default: false },
    report: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const log = (line: string) => console.log(line);

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.list) {
  for (const scenario of SCENARIOS)
    console.log(
      `${scenario.name.padEnd(20)} ${scenario.local ? '[local] ' : scenario.kafka ? '[kafka] ' : '[local, aws] '}${scenario.description}`,
    );
  process.exit(0);
}
if (values.target !== 'local' && values.target !== 'aws') {
  console.error(`--target must be local or aws, not ${values.target}`);
  process.exit(2);
}

const params = values.quick ? QUICK : FULL;
const runId = ulid().slice(-6).toLowerCase();
const ledgers = new Set<FaultLedger>();
let target: Target | undefined;
let topics: TopicWatcher | undefined;
let interrupted = false;

/** Ctrl-C or SIGTERM: remove every fault still in effect, stop what the tool started, exit. */
async function interrupt(signal: string): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  console.error(`\n${signal}: removing the faults in effect ...`);
  const results = await Promise.allSettled([...ledgers].map((ledger) => ledger.clear()));
  for (const result of results)
    if (result.status === 'rejected') console.error(`  ${String((result.reason as Error).message)}`);
  await topics?.stop();
  await target?.stop().catch(() => {});
  process.exit(130);
}
process.on('SIGINT', () => void interrupt('SIGINT'));
process.on('SIGTERM', () => void interrupt('SIGTERM'));

async function main(): Promise<number> {
  const started = Date.now();
  target =
    values.target === 'aws'
      ? awsTarget({ apiUrl: values['api-url'], region: values.region, signIn: values, env: process.env })
      : await localTarget({
          controlPlaneUrl: values['control-plane-url'],
          apiUrl: values['api-url'],
          dynamoDbEndpoint: values['dynamodb-endpoint'],
          timeScale: Number(values['time-scale'] ?? (values.quick ? 20 : 10)),
          signIn: values,
          env: process.env,
          log,
        });
  const clients = awsClients(target.access);
  try {
    const system = await SystemMap.discover(clients, values.stage);
    log(
      `System: ${system.functions.length} functions, ${system.kafkaMappings.length} Kafka mappings on ${system.topics().join(', ')}`,
    );
    if (!values['no-topics']) {
      try {
        topics = await TopicWatcher.start(
          await kafkaConfig(clients, system, `chaos-${runId}`),
          system.topics(),
          runId,
        );
      } catch (error) {
        log(`The topics are out of reach (${(error as Error).message}): checks from the tables only`);
      }
    }
    const localFaults = target.localFaultsUrl ? new LocalFaultEndpoint(target.localFaultsUrl) : undefined;
    const { run, skipped } = scenariosFor(target.name, {
      kafka: topics !== undefined,
      names: values.scenarios?.split(',').map((name) => name.trim()),
    });
    log(
      `Run ${runId}: ${run.length} scenario(s)${values.quick ? ' (quick)' : ''} against ${target.name} (${target.apiUrl}), orders of ${target.signIn.customers.map((user) => user.username).join(', ')}`,
    );
    const rows: ScenarioRow[] = await runScenarios(
      {
        clients,
        system,
        api: new ApiClient(
          target.apiUrl,
          new CognitoSignIn(clients.cognito, target.signIn.clientId, target.signIn.customers),
        ),
        params,
        runId,
        ...(localFaults ? { localFaults } : {}),
        ...(topics ? { topics } : {}),
        log,
        track: (ledger) => {
          ledgers.add(ledger);
          return () => ledgers.delete(ledger);
        },
        ...(target.observe ? { observe: target.observe } : {}),
        interrupted: () => interrupted,
      },
      run,
    );
    for (const { scenario, reason } of skipped)
      rows.push({
        scenario: scenario.name,
        skipped: reason,
        drainTimeoutSeconds: 0,
        rejectedOrders: 0,
        notes: [],
      });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const command = `npm run chaos --${values.quick ? ' --quick' : ''}${values.target === 'aws' ? ' --target aws' : ''}`;
    const output = [
      '',
      table(rows),
      '',
      details(rows),
      '',
      `${rows.filter(failed).length === 0 ? 'Every invariant held' : `${rows.filter(failed).length} scenario(s) violated the invariants`} (${command}, ${minutes} min).`,
    ].join('\n');
    console.log(output);
    if (values.report) {
      mkdirSync(dirname(values.report), { recursive: true });
      writeFileSync(values.report, `${output}\n`);
    }
    return rows.some(failed) ? 1 : 0;
  } finally {
    await topics?.stop();
    clients.destroy();
    await target.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ChaosError ? `chaos: ${error.message}` : error);
    if (error instanceof Error && error.cause) console.error('  cause:', error.cause);
    process.exit(2);
  },
);
