import { identityOf } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { logger } from '#platform/powertools';
import { GetProfileFn } from '../contract';
import { profileView } from '../model';
import { ProfileStore } from '../profile-store';
import { profileOf } from '../profiles';

const store = new ProfileStore(documentClient, readEnv(GetProfileFn).CUSTOMERS_TABLE_NAME);

/** GET /me: the signed-in customer's profile, created from the token's claims on the first call. */
export const handler = apiHandler(async (event) => {
  const { profile, created } = await profileOf(store, identityOf(event), new Date());
  if (created) logger.info('customer profile created');
  return json(200, profileView(profile));
});
