import type { Recipient } from '#events';
import { RetryableError } from '#platform/errors';
import {
  type CustomerStatus,
  defaultProfile,
  type Identity,
  type ProfileItem,
  recipientOfProfile,
  type UpdateProfileRequest,
} from './model';
import type { ProfileStore } from './profile-store';

/** The profile vanished between a refused create and the read after it (it is never deleted). */
export class ProfileMissingError extends RetryableError {
  readonly code = 'PROFILE_MISSING';
}

/**
 * `GET /me`: the caller's profile. The first call creates it from the token's claims (`defaultProfile`);
 * when a concurrent first call created it meanwhile, that profile is returned.
 */
export async function profileOf(
  store: ProfileStore,
  identity: Identity,
  now: Date,
): Promise<{ profile: ProfileItem; created: boolean }> {
  const existing = await store.get(identity.sub, { consistent: true });
  if (existing) return { profile: existing, created: false };
  const fresh = defaultProfile(identity, now);
  if ((await store.create(fresh)) === 'CREATED') return { profile: fresh, created: true };
  const winner = await store.get(identity.sub, { consistent: true });
  if (!winner) throw new ProfileMissingError(`The profile of ${identity.sub} exists but cannot be read`);
  return { profile: winner, created: false };
}

/** `PUT /me`: replaces the editable fields (created ACTIVE if the customer had no profile yet). */
export function updateProfile(
  store: ProfileStore,
  customerId: string,
  update: UpdateProfileRequest,
  now: Date,
): Promise<ProfileItem> {
  return store.update(customerId, update, now);
}

/** Whether a customer may order, and who to tell about the order's outcome. */
export interface CustomerStanding {
  readonly status: CustomerStatus;
  readonly recipient: Recipient;
}

/**
 * A customer's standing when an order is placed, from one eventually consistent GetItem: the profile's
 * status and contact details, or for a customer without a profile yet an ACTIVE standing with the
 * token's contact details (the profile itself is created by their first `GET /me`).
 */
export async function standingOf(
  store: ProfileStore,
  identity: Identity,
  now: Date,
): Promise<CustomerStanding> {
  const profile = (await store.get(identity.sub, { consistent: false })) ?? defaultProfile(identity, now);
  return { status: profile.status, recipient: recipientOfProfile(profile) };
}
