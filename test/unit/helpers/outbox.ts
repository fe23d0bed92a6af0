import type { EventProducer, OutboundMessage, SendOptions } from '#platform/outbox/producer';
import {
  OUTBOX_ATTRIBUTE,
  type OutboxEntry,
  type OutboxRow,
  rawOutboxRow,
  type StoredOutboxRow,
} from '#platform/outbox/row';

/** The outbox entries a written item carries (the events of its write); fails when it has none. */
export function outboxEntriesOf(item: Record<string, unknown> | undefined): OutboxEntry[] {
  const entries = item?.[OUTBOX_ATTRIBUTE];
  if (!Array.isArray(entries) || entries.length === 0) throw new Error('The item carries no outbox entries');
  return entries as OutboxEntry[];
}

/** The one outbox entry a written item carries. */
export function outboxEntryOf(item: Record<string, unknown> | undefined): OutboxEntry {
  const [entry, ...rest] = outboxEntriesOf(item);
  if (!entry || rest.length > 0)
    throw new Error(`The item carries ${rest.length + 1} outbox entries, not one`);
  return entry;
}

import type { OutboxStore, UnpublishedPage } from '#platform/outbox/store';

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
  readonly options: SendOptions[] = [];
  private readonly failures = new Map<number, Error>();
  private rejectedEventIds = new Map<string, Error>();

  /** Makes send number `call` (0-based) reject with `error`. */
  failOnSend(call: number, error = new Error('broker unavailable')): this {
    this.failures.set(call, error);
    return this;
  }

  /** Makes every send that carries the event `eventId` reject with `error`. */
  rejectEvent(eventId: string, error: Error): this {
    this.rejectedEventIds.set(eventId, error);
    return this;
  }

  async send(messages: readonly OutboundMessage[], options: SendOptions = {}): Promise<void> {
    const call = this.sends.length;
    this.sends.push([...messages]);
    this.options.push(options);
    const failure = this.failures.get(call);
    if (failure) throw failure;
    for (const message of messages) {
      const rejection = this.rejectedEventIds.get(message.headers.eventId ?? '');
      if (rejection) throw rejection;
    }
  }

  async disconnect(): Promise<void> {}

  sentKeys(): string[][] {
    return this.sends.map((batch) => batch.map((message) => message.headers.eventId ?? ''));
  }
}

/** An OutboxStore that records which rows were marked published or quarantined. */
export class FakeStore implements OutboxStore {
  readonly marked: { eventIds: string[]; now: Date }[] = [];
  readonly quarantined: { sk: string; reason: string }[] = [];
  readonly spilled: string[] = [];
  markFailure: Error | undefined;
  quarantineFailure: Error | undefined;

  async markPublished(rows: readonly OutboxRow[], now: Date): Promise<void> {
    if (this.markFailure) throw this.markFailure;
    this.marked.push({ eventIds: rows.map((row) => row.eventId), now });
  }

  async quarantine(row: StoredOutboxRow, reason: string): Promise<void> {
    if (this.quarantineFailure) throw this.quarantineFailure;
    this.quarantined.push({ sk: row.sk, reason });
  }

  async spill(rows: readonly StoredOutboxRow[]): Promise<void> {
    this.spilled.push(...rows.map((row) => row.sk));
  }

  async findUnpublishedPage(): Promise<UnpublishedPage> {
    return { rows: [] };
  }
}
