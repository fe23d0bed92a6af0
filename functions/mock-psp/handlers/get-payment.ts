import { documentClient } from '#platform/clients';
import { requireEnv } from '#platform/env';
import { badRequest } from '#platform/errors';
import { apiHandler, json } from '#platform/http';
import { MockPsp } from '../mock-psp';
import { mockPspSettingsFromEnv } from '../settings';
import { DynamoPspStore } from '../store';

const psp = new MockPsp({
  store: new DynamoPspStore(documentClient, requireEnv('PSP_TABLE_NAME')),
  settings: mockPspSettingsFromEnv(),
});

/** GET /psp/payments/{paymentId} (mock PSP): the payment's status; PENDING ones resolve after checks. */
export const handler = apiHandler(async (event) => {
  const paymentId = event.pathParameters?.paymentId;
  if (!paymentId) throw badRequest('MISSING_PARAMETER', 'paymentId is required');
  const response = await psp.getPayment(decodeURIComponent(paymentId));
  return json(response.statusCode, response.body);
});
