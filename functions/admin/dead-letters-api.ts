import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { callerOf } from '#platform/auth';
import type { DeadLetterItem, DeadLetterStatus, DeadLetterStore } from '#platform/consumer/dead-letters';
import { badRequest, HttpError, notFound } from '#platform/errors';
import {
  cursorParam,
  decodeCursor,
  encodeCursor,
  isValidParam,
  pageSchema,
  wholeNumberParam,
} from '#platform/params';
import { redactCustomerData } from '#platform/redact';

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
const STATUSES = ['OPEN', 'REDRIVEN'] as const satisfies readonly DeadLetterStatus[];

/** A dead-letter id in a path: a ULID. */
export const DeadLetterIdSchema = z
  .string()
  .regex(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/)
  .describe('the dead-letter id, a 26-character ULID');

/** The query of `GET /admin/dead-letters`. */
export const ListDeadLettersQuerySchema = z.object({
  status: z.enum(STATUSES).optional().describe('which dead letters (default OPEN)'),
  limit: wholeNumberParam(1, MAX_LIMIT)
    .optional()
    .describe(`dead letters per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`),
  cursor: cursorParam().optional(),
});

const TIMESTAMP = z.string().describe('ISO 8601 UTC timestamp');

/** A dead letter as the back office shows it: payment tokens and customer ids masked. */
export const DeadLetterViewSchema = z
  .strictObject({
    id: z.string(),
    status: z.enum(STATUSES),
    service: z.string().describe('the consumer that gave up on the record'),
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string(),
    key: z.string().describe('the record key: the order id'),
    eventId: z.string().nullable(),
    eventType: z.string().nullable(),
    errorKind: z.string().describe('a parse error kind, HANDLER_REJECTED or HANDLER_FAILED'),
    errorMessage: z.string(),
    issues: z.array(z.looseObject({ path: z.string(), message: z.string() })),
    attempts: z.number().int(),
    createdAt: TIMESTAMP,
    redrivenAt: TIMESTAMP.nullable(),
    redrivenBy: z.string().nullable().describe('who redrove it: `email (sub)` of the admin'),
    rawValue: z.string().describe('the record value as received, customer data masked'),
  })
  .meta({ id: 'DeadLetter' });
export type DeadLetterView = z.infer<typeof DeadLetterViewSchema>;

/** A page of `GET /admin/dead-letters`. */
export const DeadLetterListSchema = pageSchema(DeadLetterViewSchema);

function parseStatus(raw: string | undefined): DeadLetterStatus {
  if (raw === undefined) return 'OPEN';
  const parsed = ListDeadLettersQuerySchema.shape.status.safeParse(raw);
  const status = parsed.success ? parsed.data : undefined;
  if (!status) {
    throw badRequest('INVALID_QUERY', 'status must be OPEN or REDRIVEN', [
      { path: 'query.status', message: `received "${raw}"` },
    ]);
  }
  return status;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  if (!isValidParam(ListDeadLettersQuerySchema.shape.limit, raw)) {
    throw badRequest('INVALID_QUERY', `limit must be an integer from 1 to ${MAX_LIMIT}`, [
      { path: 'query.limit', message: `received "${raw}"` },
    ]);
  }
  return Number(raw);
}

const CURSOR_FIELDS = ['pk', 'sk', 'status', 'createdAt'] as const;

function parseCursor(raw: string | undefined, status: DeadLetterStatus): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  const cursor = decodeCursor(
    raw,
    CURSOR_FIELDS,
    (key) => key.status === status && String(key.pk).startsWith('DEADLETTER#'),
  );
  if (cursor) return cursor;
  throw badRequest('INVALID_QUERY', 'cursor is not a cursor returned by this API for this status', [
    { path: 'query.cursor', message: 'pass nextCursor unchanged, with the same status' },
  ]);
}

/** The public view of a dead letter. */
export function deadLetterView(item: DeadLetterItem): DeadLetterView {
  return {
    id: item.id,
    status: item.status,
    service: item.service,
    topic: item.topic,
    partition: item.partition,
    offset: item.offset,
    key: item.key,
    eventId: item.eventId ?? null,
    eventType: item.eventType ?? null,
    errorKind: item.errorKind,
    errorMessage: redactCustomerData(item.errorMessage),
    issues: (item.issues ?? []).map((issue) => ({ ...issue, message: redactCustomerData(issue.message) })),
    attempts: item.attempts,
    createdAt: item.createdAt,
    redrivenAt: item.redrivenAt ?? null,
    redrivenBy: item.redrivenBy ?? null,
    rawValue: redactCustomerData(item.rawValue),
  };
}

/** GET /admin/dead-letters?status=&limit=&cursor= */
export async function listDeadLetters(
  store: DeadLetterStore,
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>,
) {
  const query = event.queryStringParameters ?? {};
  const status = parseStatus(query.status);
  const limit = parseLimit(query.limit);
  const cursor = parseCursor(query.cursor, status);
  const page = await store.list(status, limit, cursor);
  return {
    items: page.items.map(deadLetterView),
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
}

/** POST /admin/dead-letters/{id}/redrive */
export async function redriveDeadLetter(
  store: DeadLetterStore,
  event: Pick<APIGatewayProxyEvent, 'pathParameters' | 'requestContext'>,
  now: Date,
) {
  const id = event.pathParameters?.id ?? '';
  if (!isValidParam(DeadLetterIdSchema, id)) {
    throw badRequest('INVALID_DEAD_LETTER_ID', 'The dead-letter id is malformed', [
      { path: 'path.id', message: 'a dead-letter id is a 26-character ULID' },
    ]);
  }
  const result = await store.redrive(id, now, operatorOf(event));
  switch (result.outcome) {
    case 'NOT_FOUND':
      throw notFound(`Dead letter ${id} does not exist`);
    case 'ALREADY_REDRIVEN':
      throw new HttpError(409, 'ALREADY_REDRIVEN', `Dead letter ${id} was already redriven`, {
        details: [{ path: 'path.id', message: `redriven at ${result.item.redrivenAt ?? 'an earlier time'}` }],
      });
    case 'NOT_REDRIVABLE':
      throw new HttpError(409, 'NOT_REDRIVABLE', `Dead letter ${id} cannot be redriven`, {
        details: [
          {
            path: 'path.id',
            message: `its record is not a valid event (${result.item.errorKind}); delivered again, it would only fail again`,
          },
        ],
      });
    case 'REDRIVEN':
      return deadLetterView(result.item);
  }
}

/**
 * Who is calling, for the records they change: the signed-in operator's name (email) and subject,
 * `name (sub)`; 401 when the request carries no verified caller.
 */
export function operatorOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  const caller = callerOf(event);
  return caller.name === caller.sub ? caller.sub : `${caller.name} (${caller.sub})`;
}
