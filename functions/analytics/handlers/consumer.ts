import type { MSKEvent } from 'aws-lambda';
import { type DomainEvent, parseEvent } from '#events';
import { documentClient, dynamoDb } from '#platform/clients';
import { DeadLetterStore, deadLetterUnparseable } from '#platform/consumer/dead-letters';
import { decodeMskEvent } from '#platform/consumer/records';
import { readEnv } from '#platform/env';
import { instrumented, logger, metrics, metricsOf } from '#platform/powertools';
import { dynamoDbPrimer, primeOnInit } from '#platform/priming';
import { AnalyticsConsumerFn } from '../contract';
import { AnalyticsStore } from '../store';

const env = readEnv(AnalyticsConsumerFn);
const store = new AnalyticsStore(documentClient, env.ANALYTICS_TABLE_NAME);
const deadLetters = new DeadLetterStore(documentClient, env.DEAD_LETTER_TABLE_NAME);
const count = metricsOf(AnalyticsConsumerFn.metrics);

await primeOnInit([dynamoDbPrimer(dynamoDb, env.ANALYTICS_TABLE_NAME)]);
metrics.setDefaultDimensions({ service: 'analytics' });

/**
 * Analytics: counts every event of all topics by counter and hour. Not per-record idempotency: the
 * whole batch is aggregated into one ADD per counter, made exactly-once by a marker per eventId in the
 * same transaction (functions/analytics/store.ts). Unparseable records become dead letters.
 */
export const handler = instrumented<MSKEvent, void>(async (event) => {
  const now = new Date();
  const events: DomainEvent[] = [];
  const batches = decodeMskEvent(event);
  for (const batch of batches) {
    for (const decoded of batch.records) {
      const parsed = parseEvent(decoded.value);
      if (parsed.ok) {
        events.push(parsed.event);
        continue;
      }
      await deadLetterUnparseable(deadLetters, 'analytics', decoded, parsed.error, now);
      count('EventsDeadLettered');
    }
  }
  // Batches of different partitions run at the same time: each counts into its partition's shard.
  const first = batches[0];
  const outcome = await store.count(events, now, first ? { seed: `${first.topic}-${first.partition}` } : {});
  count('EventsConsumed', outcome.counted);
  count('EventsSkippedDuplicate', outcome.duplicates);
  // One line for the whole batch: it names the sagas of its events.
  logger.info('events counted', {
    ...outcome,
    correlationIds: [...new Set(events.map((counted) => counted.correlationId))],
  });
});
