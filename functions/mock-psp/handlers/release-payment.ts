import { IdSchema } from '#events';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest } from '#platform/errors';
import { apiHandler, json } from '#platform/http';
import { logger } from '#platform/powertools';
import { ReleasePaymentFn } from '../contract';
import { MockPsp, mockPspSettingsOf } from '../mock-psp';
import { DynamoPspStore } from '../store';

const env = readEnv(ReleasePaymentFn);
const psp = new MockPsp({
  store: new DynamoPspStore(documentClient, env.PSP_TABLE_NAME),
  settings: mockPspSettingsOf(env),
});

/**
 * POST /payments/{paymentId}/void and /refund (mock PSP API): releases a payment, idempotently. The
 * action is the last segment of the route; the body is not read.
 */
export const handler = apiHandler(async (event) => {
  const action = event.resource?.endsWith('/refund')
    ? 'refund'
    : event.resource?.endsWith('/void')
      ? 'void'
      : undefined;
  if (!action) throw badRequest('UNKNOWN_ACTION', 'The route names no release action (void or refund)');
  const raw = event.pathParameters?.paymentId;
  const paymentId = raw === undefined ? undefined : decodeURIComponent(raw);
  const parsed = IdSchema.safeParse(paymentId);
  if (!parsed.success) {
    throw badRequest('INVALID_PAYMENT_ID', 'paymentId must be 1 to 128 characters', [
      { path: 'paymentId', message: parsed.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  const response =
    action === 'void' ? await psp.voidPayment(parsed.data) : await psp.refundPayment(parsed.data);
  logger.info(`psp ${action}`, {
    paymentId: parsed.data,
    statusCode: response.statusCode,
    status: response.body.status,
  });
  return json(response.statusCode, response.body);
});
