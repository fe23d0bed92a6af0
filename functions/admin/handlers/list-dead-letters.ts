import { requireAdmin } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { ListDeadLettersFn } from '../contract';
import { listDeadLetters } from '../dead-letters-api';

const env = readEnv(ListDeadLettersFn);
const store = new DeadLetterStore(documentClient, env.DEAD_LETTER_TABLE_NAME);

/** GET /admin/dead-letters?status=OPEN&limit=&cursor= (admins only) */
export const handler = apiHandler(async (event) => {
  requireAdmin(event);
  return json(200, await listDeadLetters(store, event));
});
