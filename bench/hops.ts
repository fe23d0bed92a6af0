/**
 * Per-hop latency of the saga, from the events' own timestamps as a Kafka observer sees them:
 * - commit → publish: the envelope's `occurredAt` (the event committed with its outbox row) to the
 *   Kafka message's timestamp (the relay's send);
 * - publish → consume: that message timestamp to the `occurredAt` of the first event a consumer emitted
 *   with `causationId` = the event's id (its reaction committed). Each consuming service (the reaction's
 *   `source`) counts once per event, at its earliest reaction.
 * Both by the topic the event was published to.
 */
import { percentile } from './drive';

/** One event as the observer saw it on Kafka (its first sighting). */
interface ObservedEvent {
  topic: string;
  eventId: string;
  source: string;
  causationId: string | null;
  /** Epoch ms: the envelope's `occurredAt`. */
  committedAt: number;
  /** Epoch ms: the Kafka message timestamp. */
  publishedAt: number;
}

export interface HopLatency {
  /** Number of measured hops. */
  count: number;
  /** Milliseconds; null when nothing was measured. */
  p50: number | null;
  p95: number | null;
}

export interface TopicHops {
  commitToPublish: HopLatency;
  publishToConsume: HopLatency;
}

/** Per-hop latency in milliseconds, by topic. */
export type HopReport = Record<string, TopicHops>;

const latencyOf = (values: readonly number[]): HopLatency =>
  values.length === 0
    ? { count: 0, p50: null, p95: null }
    : { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95) };

/** Fields of an envelope the hops need, or undefined when the value is not such an envelope. */
function envelopeOf(
  value: Buffer | string | null,
): { eventId: string; source: string; causationId: string | null; occurredAt: number } | undefined {
  if (value === null) return undefined;
  try {
    const envelope = JSON.parse(value.toString()) as Record<string, unknown>;
    const occurredAt = typeof envelope.occurredAt === 'string' ? Date.parse(envelope.occurredAt) : Number.NaN;
    if (
      typeof envelope.eventId !== 'string' ||
      typeof envelope.source !== 'string' ||
      Number.isNaN(occurredAt)
    )
      return undefined;
    return {
      eventId: envelope.eventId,
      source: envelope.source,
      causationId: typeof envelope.causationId === 'string' ? envelope.causationId : null,
      occurredAt,
    };
  } catch {
    return undefined;
  }
}

/** Collects the events an observer reads from all topics and reports the per-hop latency. */
export class HopRecorder {
  private readonly events = new Map<string, ObservedEvent>();

  /** Records one Kafka message: `timestamp` is its epoch-millisecond timestamp, as Kafka clients give it. */
  observe(topic: string, message: { value: Buffer | string | null; timestamp: string | number }): void {
    const envelope = envelopeOf(message.value);
    const publishedAt = Number(message.timestamp);
    if (!envelope || !Number.isFinite(publishedAt) || this.events.has(envelope.eventId)) return;
    this.events.set(envelope.eventId, {
      topic,
      eventId: envelope.eventId,
      source: envelope.source,
      causationId: envelope.causationId,
      committedAt: envelope.occurredAt,
      publishedAt,
    });
  }

  /** The per-hop latencies of the events seen so far, by topic (sorted by name). */
  report(): HopReport {
    const commit = new Map<string, number[]>();
    const consume = new Map<string, number[]>();
    const push = (into: Map<string, number[]>, topic: string, value: number) => {
      const values = into.get(topic) ?? [];
      values.push(value);
      into.set(topic, values);
    };
    /** Earliest reaction per (caused event, consuming service). */
    const reactions = new Map<string, { parent: ObservedEvent; committedAt: number }>();
    for (const event of this.events.values()) {
      push(commit, event.topic, event.publishedAt - event.committedAt);
      const parent = event.causationId === null ? undefined : this.events.get(event.causationId);
      if (!parent) continue;
      const key = `${parent.eventId} ${event.source}`;
      const known = reactions.get(key);
      if (!known || event.committedAt < known.committedAt)
        reactions.set(key, { parent, committedAt: event.committedAt });
    }
    for (const { parent, committedAt } of reactions.values())
      push(consume, parent.topic, committedAt - parent.publishedAt);
    const topics = [...new Set([...commit.keys(), ...consume.keys()])].sort();
    return Object.fromEntries(
      topics.map((topic) => [
        topic,
        {
          commitToPublish: latencyOf(commit.get(topic) ?? []),
          publishToConsume: latencyOf(consume.get(topic) ?? []),
        },
      ]),
    );
  }
}

const cell = (latency: HopLatency) =>
  latency.p50 === null || latency.p95 === null
    ? '-'.padEnd(28)
    : `p50 ${latency.p50.toFixed(0).padStart(5)} ms  p95 ${latency.p95.toFixed(0).padStart(5)} ms (${latency.count})`.padEnd(
        28,
      );

/** The report as console lines: a heading, then one line per topic. */
export function formatHops(report: HopReport): string[] {
  return [
    `per-hop latency        ${'commit → publish'.padEnd(36)} publish → consume (reaction committed)`,
    ...Object.entries(report).map(
      ([topic, hops]) =>
        `  ${topic.padEnd(21)}${cell(hops.commitToPublish).padEnd(37)}${cell(hops.publishToConsume)}`,
    ),
  ];
}
