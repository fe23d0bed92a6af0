import { documentClient } from '../../commons/clients';
import { requireEnv } from '../../commons/env';
import { HttpError } from '../../commons/errors';
import { apiHandler, header, json, parseJsonBody } from '../../commons/http';
import { logger } from '../../commons/powertools';
import { MockPsp } from '../../psp/mock-psp';
import { parseAuthorizationBody } from '../../psp/request';
import { mockPspSettingsFromEnv } from '../../psp/settings';
import { DynamoPspStore } from '../../psp/store';

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
