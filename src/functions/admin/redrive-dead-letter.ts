import { redriveDeadLetter } from '../../admin/dead-letters-api';
import { documentClient } from '../../commons/clients';
import { requireEnv } from '../../commons/env';
import { apiHandler, json } from '../../commons/http';
import { logger } from '../../commons/powertools';
import { DeadLetterStore } from '../../consumers/dead-letters';

const store = new DeadLetterStore(documentClient, requireEnv('DEAD_LETTER_TABLE_NAME'));

/** POST /admin/dead-letters/{id}/redrive: republishes the original record to its topic (202). */
export const handler = apiHandler(async (event) => {
  const view = await redriveDeadLetter(store, event, new Date());
  logger.info('dead letter redriven', { deadLetterId: view.id, topic: view.topic, eventId: view.eventId });
  return json(202, view);
});
