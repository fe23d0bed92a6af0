import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type DomainEventOf,
  type EventType,
  type EventVersion,
  LATEST_VERSIONS,
  type LatestVersion,
} from '#events';

export const SAMPLES_DIR = fileURLToPath(new URL('../../../events/samples/', import.meta.url));

export function sampleFiles(): string[] {
  return readdirSync(SAMPLES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort();
}

export function readSampleFile(file: string): unknown {
  return JSON.parse(readFileSync(`${SAMPLES_DIR}${file}`, 'utf8'));
}

/** A fresh copy of the version-1 sample of an event type, typed as that event. */
export function sample<T extends EventType>(type: T): DomainEventOf<T, 1> {
  return readSampleFile(`${type}.v1.json`) as DomainEventOf<T, 1>;
}

/** A fresh copy of the sample of the version producers emit today. */
export function latestSample<T extends EventType>(
  type: T,
): DomainEventOf<T, LatestVersion<T> & EventVersion<T>> {
  return readSampleFile(`${type}.v${LATEST_VERSIONS[type]}.json`) as DomainEventOf<
    T,
    LatestVersion<T> & EventVersion<T>
  >;
}

/** A deep copy of `value` with the property at `path` replaced by `replacement`. */
export function withValue(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const copy: unknown = structuredClone(value);
  const parent = walk(copy, path.slice(0, -1));
  const last = path.at(-1);
  if (last === undefined) return replacement;
  parent[last] = replacement;
  return copy;
}

/** A deep copy of `value` without the property at `path`. */
export function without(value: unknown, path: readonly (string | number)[]): unknown {
  const copy: unknown = structuredClone(value);
  const parent = walk(copy, path.slice(0, -1));
  const last = path.at(-1);
  if (last !== undefined) delete parent[last];
  return copy;
}

function walk(value: unknown, path: readonly (string | number)[]): Record<string | number, unknown> {
  let current = value;
  for (const key of path) {
    current = asRecord(current)[key];
  }
  return asRecord(current);
}

function asRecord(value: unknown): Record<string | number, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('Path does not lead to an object in the sample');
  }
  return value as Record<string | number, unknown>;
}
