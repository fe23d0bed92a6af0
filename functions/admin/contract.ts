import { defineFunction } from '#platform/contract';

/** The back office: dead letters (the shared dead-letter table of the messaging stack). */

export const ListDeadLettersFn = defineFunction({
  name: 'list-dead-letters',
  service: 'admin',
  entry: 'admin/handlers/list-dead-letters.ts',
  trigger: 'GET /admin/dead-letters?status=&limit=&cursor=',
  description: 'Lists the records consumers gave up on, newest first',
  tables: { DEAD_LETTER_TABLE_NAME: 'read' },
  metrics: {},
});

export const RedriveDeadLetterFn = defineFunction({
  name: 'redrive-dead-letter',
  service: 'admin',
  entry: 'admin/handlers/redrive-dead-letter.ts',
  trigger: 'POST /admin/dead-letters/{id}/redrive',
  description: 'Republishes a dead letter to its topic',
  tables: { DEAD_LETTER_TABLE_NAME: 'readWrite' },
  metrics: {},
});
