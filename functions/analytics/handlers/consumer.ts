import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { MSKEvent } from 'aws-lambda';
import { type DomainEvent, parseEvent } from '#events';
import { documentClient } from '#platform/clients';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { decodeMskEvent } from '#platform/consumer/records';
import { requireEnv } from '#platform/env';
import { logger, metrics } from '#platform/powertools';
import { AnalyticsStore } from '../store';

const SERVICE = 'analytics';
const store = new AnalyticsStore(documentClient, requireEnv('ANALYTICS_TABLE_NAME'));
const deadLetters = new DeadLetterStore(documentClient, requireEnv('DEAD_LETTER_TABLE_NAME'));
metrics.setDefaultDimensions({ service: SERVICE });

/**
 * Analytics: counts every event of all topics by counter and hour. Not per-record idempotency: the
 * whole batch is aggregated into one ADD per counter, made exactly-once by a marker per eventId in the
 * same transaction (src/analytics/store.ts). Unparseable records become dead letters.
 */
export const handler = middy<MSKEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const now = new Date();
    const events: DomainEvent[] = [];
    for (const batch of decodeMskEvent(event)) {
      for (const { record, value } of batch.records) {
        const parsed = parseEvent(value);
        if (parsed.ok) {
          events.push(parsed.event);
          continue;
        }
        const letter = await deadLetters.write(
          {
            service: SERVICE,
            record,
            rawValue: value,
            eventId: parsed.error.eventId,
            eventType: parsed.error.eventType,
            errorKind: parsed.error.kind,
            errorMessage: parsed.error.message,
            issues: parsed.error.issues,
            attempts: 1,
          },
          now,
        );
        metrics.addMetric('EventsDeadLettered', MetricUnit.Count, 1);
        logger.warn('unparseable record dead-lettered', {
          deadLetterId: letter.id,
          errorKind: parsed.error.kind,
        });
      }
    }
    const outcome = await store.count(events, now);
    metrics.addMetric('EventsConsumed', MetricUnit.Count, outcome.counted);
    metrics.addMetric('EventsSkippedDuplicate', MetricUnit.Count, outcome.duplicates);
    logger.info('events counted', { ...outcome });
  });
