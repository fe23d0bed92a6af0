import { documentClient } from '#platform/clients';
import { requireEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, header, json, parseJsonBody } from '#platform/http';
import { logger } from '#platform/powertools';
import { MockPsp } from '../mock-psp';
import { parseAuthorizationBody } from '../request';
import { mockPspSettingsFromEnv } from '../settings';
import { DynamoPspStore } from '../store';

const psp = new MockPsp({
  store: new DynamoPspStore(documentClient, requireEnv('PSP_TABLE_NAME')),
  settings: mockPspSettingsFromEnv(),
});

/** POST /psp/payments (mock PSP): authorize a payment; header `Idempotency-Key` = paymentId. */
export const handler = apiHandler(async (event) => {
  const parsed = parseAuthorizationBody(parseJsonBody(event, { maxBytes: 16 * 1024 }));
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The payment request is invalid', {
      details: parsed.issues,
    });
  }
  const response = await psp.authorize(header(event, 'idempotency-key')?.trim(), parsed.value);
  logger.info('psp authorization', {
    paymentId: parsed.value.paymentId,
    statusCode: response.statusCode,
    status: response.body.status,
  });
  return json(response.statusCode, response.body);
});
