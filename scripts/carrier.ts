/**
 * Playing the carrier: the status reports a carrier posts to the shipping API's
 * `POST /carrier/webhooks`, signed with the carrier webhook secret. Used by
 * `scripts/carrier-webhook.ts`, `npm run demo` and the end-to-end tests.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockTrackingNumber } from '#functions/shipping/carrier';
import { shipmentIdFor } from '#functions/shipping/domain/shipment';
import { SIGNATURE_HEADER, signWebhook } from '#functions/shipping/signature';
import type { RuntimeInfo } from '#localstack/runtime/runtime-info';

export interface CarrierReportInput {
  orderId: string;
  status: 'PICKED_UP' | 'IN_TRANSIT' | 'DELIVERED';
  eventId?: string;
  occurredAt?: string;
  trackingNumber?: string;
}

/** The body the mock carrier sends for an order's parcel (the mock's shipment and tracking number). */
export function carrierReport(input: CarrierReportInput): string {
  const shipmentId = shipmentIdFor(input.orderId);
  return JSON.stringify({
    eventId: input.eventId ?? `evt-${input.status}-${input.orderId}`,
    shipmentId,
    trackingNumber: input.trackingNumber ?? mockTrackingNumber(shipmentId),
    status: input.status,
    occurredAt: input.occurredAt ?? new Date().toISOString(),
  });
}

/**
 * Posts a carrier report to `POST /carrier/webhooks`, signed with `secret` now (or with the given
 * signature header; `null` sends none), as the carrier would.
 */
export async function postCarrierWebhook(
  shippingApiUrl: string,
  body: string,
  secret: string,
  signature?: string | null,
): Promise<{ status: number; body: unknown }> {
  const header =
    signature === undefined ? signWebhook(secret, body, Math.floor(Date.now() / 1000)) : signature;
  const response = await fetch(`${shippingApiUrl}/carrier/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(header === null ? {} : { [SIGNATURE_HEADER]: header }),
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

/** The shipping API and carrier webhook secret of a local runtime, from its runtime info. */
export async function localCarrier(info: RuntimeInfo): Promise<{ apiUrl: string; secret: string }> {
  const apiUrl = Object.entries(info.apis ?? {}).find(([name]) => name.endsWith('-shipping'))?.[1];
  const secretId = info.secrets?.find((name) => name.includes('CarrierWebhookSecret'));
  if (!apiUrl || !secretId)
    throw new Error('The local runtime has no shipping API or carrier webhook secret');
  // The local runtime's Secrets Manager (its control plane) takes any credentials.
  const client = new SecretsManagerClient({
    endpoint: info.controlPlaneUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '';
    return { apiUrl, secret };
  } finally {
    client.destroy();
  }
}
