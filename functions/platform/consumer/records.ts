import type { MSKEvent, MSKRecord } from 'aws-lambda';

/** One Kafka record as the consumer framework sees it: where it came from, its key and headers. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
}

/** A record with its value decoded to text (UTF-8; invalid bytes become U+FFFD and fail parsing). */
export interface DecodedRecord {
  record: ConsumedRecord;
  value: string;
}

/** The records of one topic partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: DecodedRecord[];
}

const fromBase64 = (value: string | undefined | null): string =>
  value ? Buffer.from(value, 'base64').toString('utf8') : '';

/** MSK headers arrive as `[{ name: [byte, ...] }, ...]`; later duplicates of a name win. */
function decodeHeaders(headers: MSKRecord['headers'] | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const header of headers ?? []) {
    for (const [name, bytes] of Object.entries(header)) {
      decoded[name] = Buffer.from(bytes).toString('utf8');
    }
  }
  return decoded;
}

function compareOffsets(a: DecodedRecord, b: DecodedRecord): number {
  const left = BigInt(a.record.offset);
  const right = BigInt(b.record.offset);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Splits an MSK event (records grouped by `topic-partition`) into partition batches, each sorted by
 * offset, with keys, values and headers decoded from their base64/byte forms.
 */
export function decodeMskEvent(event: Pick<MSKEvent, 'records'>): PartitionBatch[] {
  const batches: PartitionBatch[] = [];
  for (const records of Object.values(event.records ?? {})) {
    const first = records[0];
    if (!first) continue;
    const decoded = records.map(
      (raw): DecodedRecord => ({
        record: {
          topic: raw.topic,
          partition: raw.partition,
          offset: String(raw.offset),
          key: fromBase64(raw.key),
          headers: decodeHeaders(raw.headers),
        },
        value: fromBase64(raw.value),
      }),
    );
    decoded.sort(compareOffsets);
    batches.push({ topic: first.topic, partition: first.partition, records: decoded });
  }
  return batches;
}
