import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest } from '#platform/errors';
import { apiHandler, json } from '#platform/http';
import { GetPaymentFn } from '../contract';
import { MockPsp, mockPspSettingsOf } from '../mock-psp';
import { DynamoPspStore } from '../store';

const env = readEnv(GetPaymentFn);
const psp = new MockPsp({
  store: new DynamoPspStore(documentClient, env.PSP_TABLE_NAME),
  settings: mockPspSettingsOf(env),
});

/** GET /payments/{paymentId} (mock PSP API): the payment's status; PENDING ones resolve after checks. */
export const handler = apiHandler(async (event) => {
  const paymentId = event.pathParameters?.paymentId;
  if (!paymentId) throw badRequest('MISSING_PARAMETER', 'paymentId is required');
  const response = await psp.getPayment(decodeURIComponent(paymentId));
  return json(response.statusCode, response.body);
});
