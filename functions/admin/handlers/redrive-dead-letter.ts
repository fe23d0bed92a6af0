import { documentClient } from '#platform/clients';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { logger } from '#platform/powertools';
import { RedriveDeadLetterFn } from '../contract';
import { redriveDeadLetter } from '../dead-letters-api';

const env = readEnv(RedriveDeadLetterFn);
const store = new DeadLetterStore(documentClient, env.DEAD_LETTER_TABLE_NAME);

/** POST /admin/dead-letters/{id}/redrive: republishes the original record to its topic (202). */
export const handler = apiHandler(async (event) => {
  const view = await redriveDeadLetter(store, event, new Date());
  logger.info('dead letter redriven', { deadLetterId: view.id, topic: view.topic, eventId: view.eventId });
  return json(202, view);
});
