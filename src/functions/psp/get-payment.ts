import { documentClient } from '../../commons/clients';
import { requireEnv } from '../../commons/env';
import { badRequest } from '../../commons/errors';
import { apiHandler, json } from '../../commons/http';
import { MockPsp } from '../../psp/mock-psp';
import { mockPspSettingsFromEnv } from '../../psp/settings';
import { DynamoPspStore } from '../../psp/store';

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
