import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_USERS } from './cognito';
import { LocalRuntime } from './runtime';
import { runtimeInfoOf } from './runtime-info';
import { ensureSynthesized } from './synth';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    'time-scale': { type: 'string', default: process.env.LOCAL_TIME_SCALE ?? '1' },
    'control-port': { type: 'string', default: process.env.CONTROL_PORT ?? '0' },
    'ops-port': { type: 'string', default: process.env.OPS_PORT ?? '0' },
    logs: { type: 'string', default: 'file' },
    cold: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--port 3000] [--host 127.0.0.1] [--time-scale 1] [--logs file|console] [--control-port 0] [--ops-port 0] [--cold]

Runs the synthesized app (cdk.out) locally: DynamoDB Local, the librdkafka mock Kafka cluster, the
bundled Lambda functions, the REST API, DynamoDB stream and MSK event source mappings, Step Functions
workflows and rate() schedules.
  --port, --host     where the REST API listens (defaults: $PORT or 3000, $HOST or 127.0.0.1)
  --time-scale N     rate() schedules, Step Functions Wait states (Seconds, SecondsPath) and batching
                     windows run N times faster (default: $LOCAL_TIME_SCALE or 1)
  --logs console     also print every function log line (always written to .local/logs/functions.log)
  --cold             start no execution environment ahead: each function starts on its first invocation
                     (by default each function has one, initialized before the start says ready, as
                     provisioned concurrency would)
  --control-port N   port of the AWS API endpoint (Lambda, Kafka, Step Functions, Cognito user pools,
                     Secrets Manager, /_local/faults) on 127.0.0.1; 0 (the default, or $CONTROL_PORT)
                     picks a free one
  --ops-port N       port of the operations page on 127.0.0.1 (orders, saga latency, consumer lag,
                     dead letters with redrive, business metrics); 0 (the default, or $OPS_PORT) picks
                     a free one

The user pool has demo users (two customers and an admin); the start prints them, their password and
a ready ID token for a customer and for the admin.`);
  process.exit(0);
}

const started = Date.now();
await ensureSynthesized(root, (line) => console.log(line));
const logFile = join(root, '.local', 'logs', 'functions.log');
const runtime = await LocalRuntime.start({
  cdkOut: join(root, 'cdk.out'),
  apiPort: Number(values.port),
  host: values.host,
  timeScale: Number(values['time-scale']),
  logFile,
  echoLogs: values.logs === 'console',
  controlPlanePort: Number(values['control-port']),
  provisionedEnvironments: values.cold ? 0 : 1,
  opsPort: Number(values['ops-port']),
});

const cp = runtime.controlPlaneUrl;
const pool = runtime.cognito?.pools[0];
const [clientId, client] = pool ? ([...pool.clients.entries()][0] ?? []) : [];
const customer = DEMO_USERS.find((user) => user.groups.length === 0);
const admin = DEMO_USERS.find((user) => user.groups.includes('admins'));
const tokenOf = (email: string | undefined) => {
  const user = email ? pool?.users.get(email) : undefined;
  return user && client ? pool?.tokens(user, client).IdToken : undefined;
};
const customerToken = tokenOf(customer?.email);
const adminToken = tokenOf(admin?.email);
const mockPsp = runtime.apis.find((api) => api.name.includes('mock-psp'));
const pspSecret = runtime.secrets?.names().find((name) => name.includes('MockPsp'));

const signIn =
  pool && clientId
    ? `
  Cognito          ${cp}   (InitiateAuth, USER_PASSWORD_AUTH; tokens' issuer ${pool.issuer})
    user pool      ${pool.id}
    app client     ${clientId}
    sign in        aws cognito-idp initiate-auth --endpoint-url ${cp} --client-id ${clientId} \\
                     --auth-flow USER_PASSWORD_AUTH --auth-parameters USERNAME=${customer?.email},PASSWORD='${customer?.password}'
  Demo users       ${DEMO_USERS.map((user) => `${user.email} (${user.role})`).join(', ')}
                   password of each: ${DEMO_USERS[0]?.password}
  ID token (1 h) of the customer ${customer?.email}:
${customerToken}
  ID token (1 h) of the admin ${admin?.email}:
${adminToken}
`
    : '';

// Where this runtime serves what, for `npm run demo` and the benchmarks (they sign in with it).
const infoFile = join(root, '.local', 'runtime.json');
mkdirSync(dirname(infoFile), { recursive: true });
writeFileSync(infoFile, `${JSON.stringify(runtimeInfoOf(runtime), null, 2)}\n`);

console.log(`
Order saga is running locally (started in ${((Date.now() - started) / 1000).toFixed(1)} s)

  REST API         ${runtime.apiUrl}   (every route but /products* and /health needs an ID token)
  Operations page  ${runtime.opsUrl}   (orders live, saga latency, consumer lag, dead letters: redrive
                   after signing in as ${admin?.email ?? 'an admin'}, business metrics)
  DynamoDB         ${runtime.dynamoEndpoint}   (aws dynamodb list-tables --endpoint-url ${runtime.dynamoEndpoint})
  Kafka bootstrap  ${runtime.kafkaBootstrap}   (kcat -b ${runtime.kafkaBootstrap} -t orders.events -C)
  AWS APIs         ${cp}   (Lambda, Kafka, Step Functions, Cognito, Secrets Manager; not authenticated)
                   aws lambda list-event-source-mappings --endpoint-url ${cp}
  Local faults     ${cp}/_local/faults   (see localstack/README.md)
  Function logs    ${logFile}${
    mockPsp
      ? `
  Mock PSP API     ${mockPsp.url}   (header X-Api-Key: the secret's value,
                   aws secretsmanager get-secret-value --endpoint-url ${cp} --secret-id ${pspSecret ?? '<name>'})`
      : ''
  }
${signIn}
Try:
  TOKEN='${customerToken ?? '<an ID token>'}'
  curl -s ${runtime.apiUrl}/products
  curl -s -X POST ${runtime.apiUrl}/orders -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Idempotency-Key: k1' \\
    -d '{"items":[{"productId":"11111111-1111-1111-1111-111111111111","quantity":2}],"payment":{"method":"card","token":"tok_ok"}}'
  curl -s ${runtime.apiUrl}/orders -H "Authorization: Bearer $TOKEN"

Ctrl-C stops everything.`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping ...`);
  rmSync(infoFile, { force: true });
  await runtime.stop();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
