import { defineFunction } from '#platform/contract';

/**
 * Customers: it writes the `customers` table (one profile per signed-in subject). The order API reads
 * a profile when an order is placed (a read-only grant to create-order); the back office sets a
 * customer's status.
 */

export const GetProfileFn = defineFunction({
  name: 'get-profile',
  service: 'customers',
  entry: 'customers/handlers/get-profile.ts',
  trigger: 'GET /me',
  description: "Reads the caller's profile; the first call creates it from the token's claims",
  tables: { CUSTOMERS_TABLE_NAME: 'readWrite' },
  metrics: {},
});

export const UpdateProfileFn = defineFunction({
  name: 'update-profile',
  service: 'customers',
  entry: 'customers/handlers/update-profile.ts',
  trigger: 'PUT /me',
  description: "Replaces the caller's name, contact details and notification preferences",
  tables: { CUSTOMERS_TABLE_NAME: 'readWrite' },
  metrics: {},
});

export const SetCustomerStatusFn = defineFunction({
  name: 'set-status',
  service: 'customers',
  entry: 'customers/handlers/set-status.ts',
  trigger: 'PUT /admin/customers/{customerId}/status',
  description: 'Back office (admins group): suspends or reinstates a customer, recording who did it',
  // Granted only UpdateItem: the status of an existing profile.
  tables: { CUSTOMERS_TABLE_NAME: 'named' },
  metrics: {},
});
