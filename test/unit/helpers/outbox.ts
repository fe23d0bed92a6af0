import type { EventProducer, OutboundMessage } from '#platform/outbox/producer';
import { type OutboxRow, rawOutboxRow } from '#platform/outbox/row';
import type { OutboxStore } from '#platform/outbox/store';

/** An outbox row whose envelope carries the given header fields; the payload is irrelevant here. */
export function outboxRowFor(
  index: number,
  envelope: Record<string, unknown> = {},
  aggregateId = '01JN8S7QG0AAAAAAAAAAAAAAAA',
): OutboxRow {
  const eventId = `01JN8S7QG0${String(index).padStart(16, '0')}`;
  const createdAt = new Date(Date.UTC(2025, 2, 1, 12, 0, 0, index)).toISOString();
  return rawOutboxRow({
    aggregateId,
    eventId,
    eventType: 'OrderCreated',
    topic: 'orders.events',
    messageKey: aggregateId,
    event: JSON.stringify({ eventId, eventType: 'OrderCreated', eventVersion: 1, ...envelope, payload: {} }),
    createdAt,
  });
}

/** An EventProducer that records what it was sent and fails the sends it is told to fail. */
export class FakeProducer implements EventProducer {
  readonly sends: OutboundMessage[][] = [];
  private readonly failures = new Map<number, Error>();

  /** Makes send number `call` (0-based) reject with `error`. */
  failOnSend(call: number, error = new Error('broker unavailable')): this {
    this.failures.set(call, error);
    return this;
  }

  async send(messages: readonly OutboundMessage[]): Promise<void> {
    const call = this.sends.length;
    this.sends.push([...messages]);
    const failure = this.failures.get(call);
    if (failure) throw failure;
  }

  async disconnect(): Promise<void> {}

  sentKeys(): string[][] {
    return this.sends.map((batch) => batch.map((message) => message.headers.eventId ?? ''));
  }
}

/** An OutboxStore that records which rows were marked published. */
export class FakeStore implements OutboxStore {
  readonly marked: { eventIds: string[]; now: Date }[] = [];
  markFailure: Error | undefined;

  async markPublished(rows: readonly OutboxRow[], now: Date): Promise<void> {
    if (this.markFailure) throw this.markFailure;
    this.marked.push({ eventIds: rows.map((row) => row.eventId), now });
  }

  async findUnpublished(): Promise<OutboxRow[]> {
    return [];
  }
}
