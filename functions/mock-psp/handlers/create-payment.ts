import { documentClient, dynamoDb } from '#platform/clients';
import { readEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, header, json, parseJsonBody } from '#platform/http';
import { logger } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { CreatePaymentFn } from '../contract';
import { MockPsp, mockPspSettingsOf } from '../mock-psp';
import { parseAuthorizationBody } from '../request';
import { DynamoPspStore } from '../store';

const env = readEnv(CreatePaymentFn);
const psp = new MockPsp({
  store: new DynamoPspStore(documentClient, env.PSP_TABLE_NAME),
  settings: mockPspSettingsOf(env),
});

await primeOnInit([dynamoDbPrimer(dynamoDb, env.PSP_TABLE_NAME)]);

/** POST /payments (mock PSP API): authorize a payment; header `Idempotency-Key` = paymentId. */
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
