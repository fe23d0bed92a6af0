import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalRuntime } from './runtime';
import { ensureSynthesized } from './synth';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    'time-scale': { type: 'string', default: process.env.LOCAL_TIME_SCALE ?? '1' },
    'control-port': { type: 'string', default: process.env.CONTROL_PORT ?? '0' },
    logs: { type: 'string', default: 'file' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--port 3000] [--host 127.0.0.1] [--time-scale 1] [--logs file|console] [--control-port 0]

Runs the synthesized app (cdk.out) locally: DynamoDB Local, the librdkafka mock Kafka cluster, the
bundled Lambda functions, the REST API, DynamoDB stream and MSK event source mappings, Step Functions
workflows and rate() schedules.
  --port, --host     where the REST API listens (defaults: $PORT or 3000, $HOST or 127.0.0.1)
  --time-scale N     rate() schedules, Step Functions Wait states (Seconds, SecondsPath) and batching
                     windows run N times faster (default: $LOCAL_TIME_SCALE or 1)
  --logs console     also print every function log line (always written to .local/logs/functions.log)
  --control-port N   port of the AWS API endpoint (Lambda, Kafka, Step Functions, /_local/faults) on
                     127.0.0.1; 0 (the default, or $CONTROL_PORT) picks a free one`);
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
});

console.log(`
Order saga is running locally (started in ${((Date.now() - started) / 1000).toFixed(1)} s)

  REST API         ${runtime.apiUrl}
  DynamoDB         ${runtime.dynamoEndpoint}   (aws dynamodb list-tables --endpoint-url ${runtime.dynamoEndpoint})
  Kafka bootstrap  ${runtime.kafkaBootstrap}   (kcat -b ${runtime.kafkaBootstrap} -t orders.events -C)
  AWS APIs         ${runtime.controlPlaneUrl}   (Lambda, Kafka, Step Functions; not authenticated)
                   aws lambda list-event-source-mappings --endpoint-url ${runtime.controlPlaneUrl}
  Local faults     ${runtime.controlPlaneUrl}/_local/faults   (see localstack/README.md)
  Function logs    ${logFile}

Try:
  curl -s ${runtime.apiUrl}/products
  curl -s -X POST ${runtime.apiUrl}/orders -H 'Content-Type: application/json' -H 'Idempotency-Key: k1' \\
    -d '{"customerId":"c-1","items":[{"productId":"11111111-1111-1111-1111-111111111111","quantity":2}],"payment":{"method":"card","token":"tok_ok"}}'

Ctrl-C stops everything.`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping ...`);
  await runtime.stop();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
