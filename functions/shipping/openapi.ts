import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import { SIGNATURE_HEADER } from './signature';
import { CarrierWebhookAnswerSchema, CarrierWebhookSchema, WEBHOOK_MAX_BODY_BYTES } from './webhook';

/**
 * The carrier API's route (the shipping stack's own REST API, see `carrierApiDocument` in
 * `functions/openapi.ts`): carriers report a parcel's status, signed, without a sign-in.
 */

const EXAMPLE_REPORT = {
  eventId: 'evt-7d1c2f',
  shipmentId: 'shp-01JN8S7QG0AAAAAAAAAAAAAAAA',
  trackingNumber: 'MOCK1Z9R4T2K8Q',
  status: 'PICKED_UP',
  occurredAt: '2025-03-01T14:05:00.000Z',
} as const;

export const CARRIER_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'post',
    path: '/carrier/webhooks',
    tags: ['carrier'],
    summary: "A carrier's status report for a parcel",
    description: `Signed by the carrier: \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">\` with the carrier webhook secret (Secrets Manager). The signature is checked first, in constant time and with \`t\` within \`WEBHOOK_TOLERANCE_SECONDS\` of now: a missing, malformed, wrong or expired one is a 401 and nothing is read or written. PICKED_UP and IN_TRANSIT ship the order (OrderShipped, once), DELIVERED delivers it (OrderDelivered, once; a delivery without a pickup ships it first). A report the shipment is already past changes nothing (\`applied: false\`). At most ${WEBHOOK_MAX_BODY_BYTES} bytes.`,
    access: 'public',
    request: {
      headers: z.object({
        [SIGNATURE_HEADER]: z.string().describe('`t=<unix seconds>,v1=<hex HMAC-SHA256>`'),
      }),
      body: {
        required: true,
        content: { 'application/json': { schema: CarrierWebhookSchema, example: EXAMPLE_REPORT } },
      },
    },
    responses: {
      200: jsonResponse('The report is recorded (or was already)', CarrierWebhookAnswerSchema, {
        shipmentId: EXAMPLE_REPORT.shipmentId,
        status: 'SHIPPED',
        applied: true,
      }),
    },
    errors: {
      400: ['MALFORMED_JSON', 'VALIDATION_FAILED'],
      401: ['INVALID_SIGNATURE'],
      404: ['UNKNOWN_SHIPMENT'],
      413: ['PAYLOAD_TOO_LARGE'],
    },
  }),
];
