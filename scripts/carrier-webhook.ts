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
import { carrierReport, postCarrierWebhook } from '#test/helpers/carrier';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATUSES = ['PICKED_UP', 'IN_TRANSIT', 'DELIVERED'] as const;

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
  const infoFile = join(ROOT, '.local', 'runtime.json');
  const info = existsSync(infoFile) ? (JSON.parse(readFileSync(infoFile, 'utf8')) as RuntimeInfo) : undefined;
  const apiUrl =
    values['api-url'] ?? Object.entries(info?.apis ?? {}).find(([name]) => name.endsWith('-shipping'))?.[1];
  if (!apiUrl) throw new Error('No shipping API: pass --api-url (or start the local runtime)');
  // Given an API URL (a deployed stage), Secrets Manager is AWS's unless an endpoint is given too.
  const endpoint = values['endpoint-url'] ?? (values['api-url'] ? undefined : info?.controlPlaneUrl);
  // The local runtime's Secrets Manager takes any credentials; a deployed stage uses the SDK's defaults.
  const client = new SecretsManagerClient(
    endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  const secretId =
    values['secret-id'] ?? info?.secrets?.find((name) => name.includes('CarrierWebhookSecret'));
  if (!secretId) throw new Error('No carrier webhook secret: pass --secret-id');
  const secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
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
