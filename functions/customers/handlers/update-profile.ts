import { callerOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { HttpError } from '#platform/errors';
import { apiHandler, json, parseJsonBody } from '#platform/http';
import { UpdateProfileFn } from '../contract';
import { PROFILE_LIMITS, parseUpdateProfileRequest, profileView } from '../model';
import { ProfileStore } from '../profile-store';
import { updateProfile } from '../profiles';

const store = new ProfileStore(documentClient, readEnv(UpdateProfileFn).CUSTOMERS_TABLE_NAME);

/**
 * PUT /me: replaces the signed-in customer's name, contact details and notification preferences. A
 * body with an unknown field, a bad value or the status is refused with a 400 and writes nothing.
 */
export const handler = apiHandler(async (event) => {
  const caller = callerOf(event);
  const body = parseJsonBody(event, { maxBytes: PROFILE_LIMITS.maxBodyBytes });
  const parsed = parseUpdateProfileRequest(body);
  if (!parsed.ok) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'The profile is invalid', { details: parsed.issues });
  }
  return json(200, profileView(await updateProfile(store, caller.sub, parsed.value, new Date())));
});
