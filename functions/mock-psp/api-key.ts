import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether `given` is the API key, compared in constant time (no length or prefix leaks). */
export function apiKeyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined || given === '' || expected === '') return false;
  return timingSafeEqual(digest(given), digest(expected));
}
