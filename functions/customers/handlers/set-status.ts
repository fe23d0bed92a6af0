import { requireAdmin } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { badRequest, HttpError, notFound } from '#platform/errors';
import { apiHandler, json, parseJsonBody } from '#platform/http';
import { isValidParam } from '#platform/params';
import { logger } from '#platform/powertools';
import { SetCustomerStatusFn } from '../contract';
import { CustomerIdSchema, PROFILE_LIMITS, profileView, SetStatusRequestSchema } from '../model';
import { ProfileStore } from '../profile-store';

const store = new ProfileStore(documentClient, readEnv(SetCustomerStatusFn).CUSTOMERS_TABLE_NAME);

/**
 * PUT /admin/customers/{customerId}/status (admins only): suspends a customer (no new orders) or
 * reinstates them; the admin and the time are recorded on the profile and in the log. A customer
 * without a profile is a 404 and nothing is written.
 */
export const handler = apiHandler(async (event) => {
  const admin = requireAdmin(event);
  const customerId = event.pathParameters?.customerId ?? '';
  if (!isValidParam(CustomerIdSchema, customerId)) {
    throw badRequest('INVALID_CUSTOMER_ID', 'The customer id is malformed', [
      { path: 'path.customerId', message: 'a customer id is 1-128 characters without spaces' },
    ]);
  }
  const parsed = SetStatusRequestSchema.safeParse(
    parseJsonBody(event, { maxBytes: PROFILE_LIMITS.maxBodyBytes }),
  );
  if (!parsed.success) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The status change is invalid', {
      details: parsed.error.issues.map((issue) => ({
        path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.'),
        message: issue.code === 'unrecognized_keys' ? 'only status is accepted' : issue.message,
      })),
    });
  }
  const profile = await store.setStatus(customerId, parsed.data.status, admin.name, new Date());
  if (!profile) throw notFound(`Customer ${customerId} has no profile`);
  logger.info('customer status set', { customerId, status: profile.status, changedBy: admin.name });
  return json(200, profileView(profile));
});
