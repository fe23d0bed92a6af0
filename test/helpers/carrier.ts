import { mockTrackingNumber } from '#functions/shipping/carrier';
import { shipmentIdFor } from '#functions/shipping/domain/shipment';
import { SIGNATURE_HEADER, signWebhook } from '#functions/shipping/signature';
import type { LocalRuntime } from '#localstack/runtime/runtime';

/** The carrier webhook secret of a runtime, as the shipping API reads it from Secrets Manager. */
export function carrierSecret(runtime: LocalRuntime): string {
  const name = runtime.secrets?.names().find((candidate) => candidate.includes('CarrierWebhookSecret'));
  if (!name || !runtime.secrets) throw new Error('The templates hold no carrier webhook secret');
  return runtime.secrets.value(name);
}

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
