import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import {
  CustomerIdSchema,
  type ProfileView,
  ProfileViewSchema,
  SetStatusRequestSchema,
  UpdateProfileRequestSchema,
} from './model';

/** The customer service's routes in the API's OpenAPI document (see `functions/openapi.ts`). */

const EXAMPLE_PROFILE: ProfileView = {
  customerId: '4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f',
  name: 'Alice',
  email: 'alice@example.com',
  phone: '+15555550123',
  notifications: { email: true, sms: true },
  status: 'ACTIVE',
  createdAt: '2025-03-01T12:00:00.000Z',
  updatedAt: '2025-03-01T12:30:00.000Z',
};

export const CUSTOMER_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'get',
    path: '/me',
    tags: ['customers'],
    summary: "The signed-in customer's profile",
    description:
      "The first call creates the profile from the token's claims: the email and name (or the email's local part), ACTIVE, notified by email.",
    access: 'customer',
    responses: { 200: jsonResponse('The profile', ProfileViewSchema, EXAMPLE_PROFILE) },
  }),
  apiRoute({
    method: 'put',
    path: '/me',
    tags: ['customers'],
    summary: "Replace the signed-in customer's name, contact details and notification preferences",
    description:
      'The body is the whole editable profile: a field left out (email, phone) is cleared. A channel the customer accepts needs its address. Unknown fields, the status (the back office sets it) and the customer id are refused; a refused request writes nothing. Orders placed later carry the new details to their notifications.',
    access: 'customer',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: UpdateProfileRequestSchema,
            example: {
              name: 'Alice',
              email: 'alice@example.com',
              phone: '+15555550123',
              notifications: { email: true, sms: true },
            },
          },
        },
      },
    },
    responses: { 200: jsonResponse('The profile after the change', ProfileViewSchema, EXAMPLE_PROFILE) },
    errors: {
      400: ['MALFORMED_JSON', 'VALIDATION_FAILED'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
    },
  }),
  apiRoute({
    method: 'put',
    path: '/admin/customers/{customerId}/status',
    tags: ['back office'],
    summary: 'Suspend or reinstate a customer',
    description:
      'A SUSPENDED customer cannot place orders (403 `CUSTOMER_SUSPENDED`); their orders in progress go on. The admin and the time are recorded on the profile. A customer without a profile (who never called `GET /me`) is a 404.',
    access: 'admin',
    request: {
      params: z.object({ customerId: CustomerIdSchema }),
      body: {
        required: true,
        content: { 'application/json': { schema: SetStatusRequestSchema, example: { status: 'SUSPENDED' } } },
      },
    },
    responses: {
      200: jsonResponse('The profile with its new status', ProfileViewSchema, {
        ...EXAMPLE_PROFILE,
        status: 'SUSPENDED',
      }),
    },
    errors: {
      400: ['INVALID_CUSTOMER_ID', 'MALFORMED_JSON', 'VALIDATION_FAILED'],
      404: ['NOT_FOUND'],
      413: ['PAYLOAD_TOO_LARGE'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
    },
  }),
];
