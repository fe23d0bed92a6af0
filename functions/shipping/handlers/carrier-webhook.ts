import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, header, json } from '#platform/http';
import { logger, metricsOf } from '#platform/powertools';
import { Secrets } from '#platform/secrets';
import { MockCarrier } from '../carrier';
import { CarrierWebhookFn } from '../contract';
import { ShippingService, UnknownShipmentError } from '../service';
import { SIGNATURE_HEADER, verifyWebhook } from '../signature';
import { ShipmentStore } from '../store';
import { CarrierWebhookSchema, WEBHOOK_MAX_BODY_BYTES } from '../webhook';

const env = readEnv(CarrierWebhookFn);
const secrets = new Secrets();
const shipping = new ShippingService({
  store: new ShipmentStore(documentClient, env.SHIPPING_TABLE_NAME),
  carrier: new MockCarrier(),
});
const count = metricsOf(CarrierWebhookFn.metrics);

const unauthorized = () =>
  new HttpError(401, 'INVALID_SIGNATURE', `A valid ${SIGNATURE_HEADER} header is required`);

/**
 * POST /carrier/webhooks: the carrier reports a parcel's status. The signature over the raw body is
 * checked first (secret from Secrets Manager, constant-time, timestamp within the tolerance): no or a
 * bad signature is a 401 and nothing is read or written. Then the body (400), the shipment (404 for an
 * unknown shipment or tracking number), and the report applies once: 200 with `applied: true`, or
 * `applied: false` for a report the shipment is past (a replay changes nothing).
 */
export const handler = apiHandler(async (event) => {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  const now = new Date();
  const check = verifyWebhook(
    header(event, SIGNATURE_HEADER),
    raw,
    await secrets.text(env.CARRIER_WEBHOOK_SECRET),
    Math.floor(now.getTime() / 1000),
    env.WEBHOOK_TOLERANCE_SECONDS,
  );
  if (!check.ok) {
    count('WebhooksRejected');
    logger.warn('carrier webhook refused', { reason: check.reason });
    throw unauthorized();
  }
  if (Buffer.byteLength(raw, 'utf8') > WEBHOOK_MAX_BODY_BYTES) {
    throw new HttpError(
      413,
      'PAYLOAD_TOO_LARGE',
      `Request body must be at most ${WEBHOOK_MAX_BODY_BYTES} bytes`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (cause) {
    throw new HttpError(400, 'MALFORMED_JSON', 'Request body is not valid JSON', { cause });
  }
  const parsed = CarrierWebhookSchema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The carrier report is invalid', {
      details: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    });
  }
  const report = parsed.data;
  try {
    const outcome = await shipping.report(report, now);
    if (outcome.kind === 'APPLIED') {
      for (const emitted of outcome.emitted) {
        count(emitted.eventType === 'OrderShipped' ? 'OrdersShipped' : 'OrdersDelivered');
      }
      logger.info('carrier report applied', {
        orderId: outcome.shipment.orderId,
        status: outcome.shipment.status,
        emitted: outcome.emitted.map((next) => next.eventType),
      });
    } else {
      logger.info('carrier report changes nothing', { reason: outcome.reason });
    }
    return json(200, {
      shipmentId: outcome.shipment.shipmentId,
      status: outcome.shipment.status,
      applied: outcome.kind === 'APPLIED',
    });
  } catch (error) {
    if (error instanceof UnknownShipmentError) {
      throw new HttpError(404, 'UNKNOWN_SHIPMENT', 'No shipment with this id and tracking number', {
        cause: error,
      });
    }
    throw error;
  }
});
