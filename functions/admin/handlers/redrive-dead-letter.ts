import { requireAdmin } from '#platform/auth';
import { documentClient } from '#platform/clients';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { readEnv } from '#platform/env';
import { apiHandler, json } from '#platform/http';
import { logger } from '#platform/powertools';
import { RedriveDeadLetterFn } from '../contract';
import { redriveDeadLetter } from '../dead-letters-api';

const env = readEnv(RedriveDeadLetterFn);
const store = new DeadLetterStore(documentClient, env.DEAD_LETTER_TABLE_NAME);

/**
 * POST /admin/dead-letters/{id}/redrive (admins only): sends the record back to the service that
 * failed it (202); that service's consumer retries it within a minute. Who asked for it and when is
 * recorded on the dead letter and in the log.
 */
export const handler = apiHandler(async (event) => {
  requireAdmin(event);
  const view = await redriveDeadLetter(store, event, new Date());
  logger.info('dead letter redriven', {
    deadLetterId: view.id,
    service: view.service,
    eventId: view.eventId,
    redrivenAt: view.redrivenAt,
    redrivenBy: view.redrivenBy,
  });
  return json(202, view);
});
