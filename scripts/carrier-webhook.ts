/**
 * Plays the carrier: signs a status report for an order's parcel with the carrier webhook secret and
 * posts it to the shipping API's `POST /carrier/webhooks`, as the mock carrier's pickups and
 * deliveries reach the platform locally (the mock carrier books parcels but reports nothing by itself).
 *
 *   npx tsx scripts/carrier-webhook.ts --order <orderId> --status PICKED_UP|IN_TRANSIT|DELIVERED
 *     [--api-url <shipping API base URL>] [--secret-id <secret name or ARN>] [--endpoint-url <url>]
 *
 * Against `npm start`, everything defaults from `.local/runtime.json` (the shipping API, the secret
 * on the runtime's Secrets Manager endpoint). Against a deployed stage, pass the stack outputs
 * `ApiUrl` and `CarrierWebhookSecretArn` of `OrderSaga-<stage>-Shipping` (AWS credentials from the
 * environment). The tracking number is the mock carrier's for the order (`--tracking` overrides).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RuntimeInfo } from '#localstack/runtime/runtime-info';
import { carrierReport, localCarrier, postCarrierWebhook } from './carrier';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATUSES = ['PICKED_UP', 'IN_TRANSIT', 'DELIVERED'] as const;

/** What `npm start` wrote about the running local runtime. */
function runtimeInfo(): RuntimeInfo {
  const infoFile = join(ROOT, '.local', 'runtime.json');
  if (!existsSync(infoFile)) throw new Error('No local runtime: start one with npm start, or pass --api-url');
  return JSON.parse(readFileSync(infoFile, 'utf8')) as RuntimeInfo;
}

/** A deployed stage's shipping API and its secret, read from Secrets Manager with the SDK's credentials. */
async function deployedCarrier(values: {
  'api-url'?: string | undefined;
  'secret-id'?: string | undefined;
  'endpoint-url'?: string | undefined;
}): Promise<{ apiUrl: string; secret: string }> {
  const secretId = values['secret-id'];
  if (!values['api-url'] || !secretId)
    throw new Error('--api-url needs --secret-id (the CarrierWebhookSecretArn output)');
  // An endpoint of its own (the local runtime's Secrets Manager) takes any credentials.
  const endpoint = values['endpoint-url'];
  const client = new SecretsManagerClient(
    endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  try {
    const secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
    return { apiUrl: values['api-url'], secret };
  } finally {
    client.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      order: { type: 'string' },
      status: { type: 'string' },
      tracking: { type: 'string' },
      'api-url': { type: 'string' },
      'secret-id': { type: 'string' },
      'endpoint-url': { type: 'string' },
    },
  });
  const status = STATUSES.find((candidate) => candidate === values.status);
  if (!values.order || !status) {
    throw new Error(
      `Usage: --order <orderId> --status ${STATUSES.join('|')} [--api-url] [--secret-id] [--endpoint-url]`,
    );
  }
  const { apiUrl, secret } = values['api-url']
    ? await deployedCarrier(values)
    : await localCarrier(runtimeInfo());
  const body = carrierReport({
    orderId: values.order,
    status,
    ...(values.tracking ? { trackingNumber: values.tracking } : {}),
  });
  const response = await postCarrierWebhook(apiUrl, body, secret);
  process.stdout.write(`${response.status} ${JSON.stringify(response.body)}\n`);
  if (response.status >= 400) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
