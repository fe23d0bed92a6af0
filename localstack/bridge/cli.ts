import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { LogSink } from '../runtime/logs';
import { KafkaBridge } from './bridge';
import { bridgedMappingsOf } from './mappings';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values } = parseArgs({
  options: {
    outputs: { type: 'string', default: join(root, '.local', 'localstack-docker', 'outputs.json') },
    brokers: { type: 'string', default: 'localhost:29092' },
    endpoint: { type: 'string', default: 'http://localhost:4566' },
    'cluster-arn': {
      type: 'string',
      default: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1',
    },
    region: { type: 'string', default: 'us-east-1' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run bridge -- [--outputs FILE] [--brokers HOST:PORT] [--endpoint URL]

Runs the Kafka event source mappings of a deployment made with -c kafkaEventSources=bridge (the
LocalStack path): reads the mappings from the stack outputs (cdk deploy --outputs-file), polls the
brokers in each mapping's consumer group, and invokes the consumers through the Lambda Invoke API.
  --outputs FILE     stack outputs (default .local/localstack-docker/outputs.json, written by deploy.sh)
  --brokers LIST     Kafka as this machine reaches it (default localhost:29092, the compose broker)
  --endpoint URL     the Lambda API (default http://localhost:4566, LocalStack)
  --cluster-arn ARN  the cluster the events name (default the ARN deploy.sh deploys with)`);
  process.exit(0);
}

const mappings = bridgedMappingsOf(JSON.parse(readFileSync(values.outputs, 'utf8')));
if (mappings.length === 0) {
  console.error(`No KafkaMapping* outputs in ${values.outputs}: deploy with -c kafkaEventSources=bridge`);
  process.exit(1);
}
const logs = new LogSink(undefined, true);
const lambda = new LambdaClient({
  region: values.region,
  endpoint: values.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const bridge = await KafkaBridge.start({
  mappings,
  bootstrapServers: values.brokers,
  clusterArn: values['cluster-arn'],
  lambda,
  logs,
});
console.log(
  `Bridging ${mappings.length} Kafka mappings (${values.brokers} → ${values.endpoint}):\n${mappings
    .map((mapping) => `  ${mapping.topic} → ${mapping.functionName} (${mapping.consumerGroupId})`)
    .join('\n')}\nCtrl-C stops.`,
);
const stop = async () => {
  await bridge.stop();
  lambda.destroy();
  await logs.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
