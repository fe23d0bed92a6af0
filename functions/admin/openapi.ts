import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { apiRoute, jsonResponse } from '#platform/openapi';
import {
  DeadLetterIdSchema,
  DeadLetterListSchema,
  type DeadLetterView,
  DeadLetterViewSchema,
  ListDeadLettersQuerySchema,
} from './dead-letters-api';

/** The back office's dead-letter routes in the API's OpenAPI document (see `functions/openapi.ts`). */

const AT = '2025-03-01T12:00:00.000Z';

const EXAMPLE_DEAD_LETTER: DeadLetterView = {
  id: '01JN8S7QWWHQQKNETG34RA0AAA',
  status: 'OPEN',
  service: 'orders',
  topic: 'payments.events',
  partition: 2,
  offset: '41',
  key: '01JN8S7QG0AAAAAAAAAAAAAAAA',
  eventId: '01JN8S7QWWHQQKNETG34RA04PS',
  eventType: 'PaymentSucceeded',
  errorKind: 'HANDLER_FAILED',
  errorMessage: 'Order is not ready for PaymentSucceeded',
  issues: [],
  attempts: 3,
  createdAt: AT,
  redrivenAt: null,
  redrivenBy: null,
  rawValue: '{"eventType":"PaymentSucceeded","payload":{"customerId":"[REDACTED]"}}',
};

export const ADMIN_ROUTES: readonly RouteConfig[] = [
  apiRoute({
    method: 'get',
    path: '/admin/dead-letters',
    tags: ['back office'],
    summary: 'Records consumers gave up on, newest first (admins group)',
    access: 'admin',
    request: { query: ListDeadLettersQuerySchema },
    responses: {
      200: jsonResponse('A page of dead letters', DeadLetterListSchema, {
        items: [EXAMPLE_DEAD_LETTER],
        nextCursor: null,
      }),
    },
    errors: { 400: ['INVALID_QUERY'] },
  }),
  apiRoute({
    method: 'post',
    path: '/admin/dead-letters/{id}/redrive',
    tags: ['back office'],
    summary: 'Send a dead letter back to the service that failed it (admins group)',
    description:
      "Only that service's consumer retries the record, within a minute. Who asked for it and when is recorded on the dead letter (`redrivenBy`, `redrivenAt`).",
    access: 'admin',
    request: { params: z.object({ id: DeadLetterIdSchema }) },
    responses: {
      202: jsonResponse('Redriven', DeadLetterViewSchema, {
        ...EXAMPLE_DEAD_LETTER,
        status: 'REDRIVEN',
        redrivenAt: AT,
        redrivenBy: 'admin@example.com (4b1f7c2e-9d3a-4c5b-8e6f-0a1b2c3d4e5f)',
      }),
    },
    errors: {
      400: ['INVALID_DEAD_LETTER_ID'],
      404: ['NOT_FOUND'],
      409: ['ALREADY_REDRIVEN', 'NOT_REDRIVABLE'],
    },
  }),
];
