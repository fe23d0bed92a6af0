import * as z from 'zod';
import type { Recipient } from '#events';

/** A customer's standing: only an ACTIVE customer may place orders; the back office suspends. */
export const CUSTOMER_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

/** The channels a customer accepts notifications on. */
export interface NotificationPreferences {
  readonly email: boolean;
  readonly sms: boolean;
}

/** The profile item of the `customers` table (key `customerId`, the token's subject). */
export interface ProfileItem {
  customerId: string;
  entity: 'CUSTOMER';
  name: string;
  email?: string;
  phone?: string;
  notifications: NotificationPreferences;
  status: CustomerStatus;
  createdAt: string;
  updatedAt: string;
  /** One more on every change. */
  version: number;
  /** The admin who set the status last (`PUT /admin/customers/{customerId}/status`), and when. */
  statusChangedBy?: string;
  statusChangedAt?: string;
}

/** What the token of a signed-in customer says about them: a new profile starts from it. */
export interface Identity {
  readonly sub: string;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
}

export const customerKey = (customerId: string) => ({ customerId });

/** The limits of a profile's fields. */
export const PROFILE_LIMITS = { maxNameLength: 200, maxEmailLength: 254, maxBodyBytes: 4 * 1024 } as const;

const E164 = /^\+[1-9][0-9]{6,14}$/;
const isEmail = (value: string) => z.email().max(PROFILE_LIMITS.maxEmailLength).safeParse(value).success;

/**
 * A new customer's profile, from the token's claims: the email if it is one, the name (or the email's
 * local part, or `Customer`), ACTIVE, notified by email when there is an email (SMS needs a phone
 * number, which a token does not give).
 */
export function defaultProfile(identity: Identity, now: Date): ProfileItem {
  const email = identity.email?.trim();
  const validEmail = email && isEmail(email) ? email : undefined;
  const name =
    identity.name?.trim().slice(0, PROFILE_LIMITS.maxNameLength) || validEmail?.split('@')[0] || 'Customer';
  return {
    ...customerKey(identity.sub),
    entity: 'CUSTOMER',
    name,
    ...(validEmail ? { email: validEmail } : {}),
    notifications: { email: validEmail !== undefined, sms: false },
    status: 'ACTIVE',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1,
  };
}

/** The recipient of a customer's order outcomes: a snapshot of the profile's contact details. */
export function recipientOfProfile(
  profile: Pick<ProfileItem, 'customerId' | 'name' | 'email' | 'phone' | 'notifications'>,
): Recipient {
  return {
    customerId: profile.customerId,
    ...(profile.name ? { name: profile.name } : {}),
    ...(profile.email ? { email: profile.email } : {}),
    ...(profile.phone ? { phone: profile.phone } : {}),
    notifications: { email: profile.notifications.email, sms: profile.notifications.sms },
  };
}

/** A status change is the back office's: a body that names one is refused with this message. */
export const STATUS_FIELD_MESSAGE = 'status is not accepted: a customer cannot change their own status';
const CUSTOMER_ID_FIELD_MESSAGE = 'customerId is not accepted: the profile is the signed-in customer’s';

/**
 * The body of `PUT /me`: the whole editable profile (an optional field left out is cleared). A channel
 * the customer accepts needs its address.
 */
export const UpdateProfileRequestSchema = z
  .strictObject({
    name: z
      .string({ error: 'name must be a string' })
      .trim()
      .min(1, 'name must not be empty')
      .max(PROFILE_LIMITS.maxNameLength, `name must be at most ${PROFILE_LIMITS.maxNameLength} characters`),
    email: z
      .email({ error: 'email must be an email address' })
      .max(PROFILE_LIMITS.maxEmailLength, `email must be at most ${PROFILE_LIMITS.maxEmailLength} characters`)
      .optional()
      .describe('leave it out to have none'),
    phone: z
      .string({ error: 'phone must be a string' })
      .regex(E164, 'phone must be an E.164 number such as +15555550123')
      .optional()
      .describe('E.164; leave it out to have none'),
    notifications: z.strictObject({
      email: z.boolean({ error: 'notifications.email must be true or false' }),
      sms: z.boolean({ error: 'notifications.sms must be true or false' }),
    }),
  })
  .superRefine((body, ctx) => {
    if (body.notifications.email && body.email === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['notifications', 'email'],
        message: 'email notifications need an email address',
      });
    }
    if (body.notifications.sms && body.phone === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['notifications', 'sms'],
        message: 'SMS notifications need a phone number',
      });
    }
  })
  .meta({ id: 'ProfileUpdate' });
export type UpdateProfileRequest = z.infer<typeof UpdateProfileRequestSchema>;

export type ValidationIssue = {
  path: string;
  message: string;
};

/** Validates a `PUT /me` body; the issues name the field each is about. */
export function parseUpdateProfileRequest(
  body: unknown,
): { ok: true; value: UpdateProfileRequest } | { ok: false; issues: ValidationIssue[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'body must be a JSON object' }] };
  }
  const result = UpdateProfileRequestSchema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.flatMap((issue) => {
      const at = issue.path.map(String);
      if (issue.code !== 'unrecognized_keys') return [{ path: at.join('.'), message: issue.message }];
      // One detail per refused field, at its own path.
      return issue.keys.map((key) => ({
        path: [...at, key].join('.'),
        message:
          key === 'status'
            ? STATUS_FIELD_MESSAGE
            : key === 'customerId'
              ? CUSTOMER_ID_FIELD_MESSAGE
              : `unknown field ${key}`,
      }));
    }),
  };
}

/** A customer id in a path: the token subject of the customer (1-128 characters, no spaces). */
export const CustomerIdSchema = z
  .string()
  .regex(/^[^\s/]{1,128}$/)
  .describe('the customer id: the subject (`sub`) of their tokens');

/** The body of `PUT /admin/customers/{customerId}/status`. */
export const SetStatusRequestSchema = z
  .strictObject({
    status: z.enum(CUSTOMER_STATUSES, { error: 'status must be ACTIVE or SUSPENDED' }),
  })
  .meta({ id: 'CustomerStatusChange' });
export type SetStatusRequest = z.infer<typeof SetStatusRequestSchema>;

const TIMESTAMP = z.string().describe('ISO 8601 UTC timestamp');

/** The profile as the API shows it (`GET /me`, `PUT /me`). */
export const ProfileViewSchema = z
  .strictObject({
    customerId: z.string().describe('the subject (`sub`) of the token: the customer id of its orders'),
    name: z.string(),
    email: z.string().optional().describe('where email notifications go'),
    phone: z.string().optional().describe('where SMS notifications go (E.164)'),
    notifications: z
      .strictObject({ email: z.boolean(), sms: z.boolean() })
      .describe('the channels the customer accepts notifications on'),
    status: z
      .enum(CUSTOMER_STATUSES)
      .describe('only an ACTIVE customer may place orders; the back office suspends'),
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  })
  .meta({ id: 'Profile' });
export type ProfileView = z.infer<typeof ProfileViewSchema>;

export function profileView(item: ProfileItem): ProfileView {
  return {
    customerId: item.customerId,
    name: item.name,
    ...(item.email ? { email: item.email } : {}),
    ...(item.phone ? { phone: item.phone } : {}),
    notifications: { email: item.notifications.email, sms: item.notifications.sms },
    status: item.status,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}
