import { listDeadLetters } from '../../admin/dead-letters-api';
import { documentClient } from '../../commons/clients';
import { requireEnv } from '../../commons/env';
import { apiHandler, json } from '../../commons/http';
import { DeadLetterStore } from '../../consumers/dead-letters';

const store = new DeadLetterStore(documentClient, requireEnv('DEAD_LETTER_TABLE_NAME'));

/** GET /admin/dead-letters?status=OPEN&limit=&cursor= */
export const handler = apiHandler(async (event) => json(200, await listDeadLetters(store, event)));
