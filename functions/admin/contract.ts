import { defineFunction } from '#platform/contract';

/**
 * The back office: dead letters (the shared dead-letter table of the messaging stack), for members
 * of the `admins` group only.
 */

export const ListDeadLettersFn = defineFunction({
  name: 'list-dead-letters',
  service: 'admin',
  entry: 'admin/handlers/list-dead-letters.ts',
  trigger: 'GET /admin/dead-letters?status=&limit=&cursor=',
  description: 'Lists the records consumers gave up on, newest first',
  // Granted only Query on the `byStatus` index.
  tables: { DEAD_LETTER_TABLE_NAME: 'named' },
  metrics: {},
});

export const RedriveDeadLetterFn = defineFunction({
  name: 'redrive-dead-letter',
  service: 'admin',
  entry: 'admin/handlers/redrive-dead-letter.ts',
  trigger: 'POST /admin/dead-letters/{id}/redrive',
  description: 'Hands a dead letter back to the service that failed it (parked for its next sweep)',
  // Granted only its items: read and update dead letters, put parked records, delete attempt counters.
  tables: { DEAD_LETTER_TABLE_NAME: 'named' },
  metrics: {},
});
