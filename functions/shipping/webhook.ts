import * as z from 'zod';
import { CARRIER_STATUSES, SHIPMENT_STATUSES } from './domain/shipment';

/** The largest webhook body read. */
export const WEBHOOK_MAX_BODY_BYTES = 4096;

/** A carrier's status report (the body of `POST /carrier/webhooks`). */
export const CarrierWebhookSchema = z
  .strictObject({
    eventId: z.string().min(1).max(128).describe("the carrier's id of this report: a replay repeats it"),
    shipmentId: z.string().min(1).max(128),
    trackingNumber: z.string().min(1).max(64),
    status: z.enum(CARRIER_STATUSES),
    occurredAt: z.iso.datetime().describe('when the carrier saw it, ISO 8601 UTC'),
  })
  .meta({ id: 'CarrierReport' });

/** The answer to a carrier report: the shipment's status after it, and whether the report changed it. */
export const CarrierWebhookAnswerSchema = z
  .strictObject({
    shipmentId: z.string(),
    status: z.enum(SHIPMENT_STATUSES),
    applied: z
      .boolean()
      .describe('false for a report the shipment is already past (a replay): nothing written'),
  })
  .meta({ id: 'CarrierReportAnswer' });
