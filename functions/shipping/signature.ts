import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Carrier webhook signatures: header `X-Carrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`,
 * the HMAC keyed with the shared secret (Secrets Manager) over `<t>.<raw body>`. Signing the
 * timestamp with the body lets the receiver refuse a captured request replayed later than the
 * tolerance; the comparison is constant-time.
 */
export const SIGNATURE_HEADER = 'X-Carrier-Signature';

export type SignatureFailure = 'MISSING' | 'MALFORMED' | 'EXPIRED' | 'MISMATCH';

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

function hmac(secret: string, timestamp: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest();
}

/** The header value for `body` signed at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body).toString('hex')}`;
}

const HEADER_FORMAT = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/;

/**
 * Checks a signature header against the raw body: present, well-formed, signed within
 * `toleranceSeconds` of `nowSeconds` (either way), and the HMAC matches in constant time.
 */
export function verifyWebhook(
  headerValue: string | undefined,
  body: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds: number,
): SignatureCheck {
  if (headerValue === undefined || headerValue.trim() === '') return { ok: false, reason: 'MISSING' };
  const match = HEADER_FORMAT.exec(headerValue.trim());
  if (!match?.[1] || !match[2]) return { ok: false, reason: 'MALFORMED' };
  const timestamp = Number(match[1]);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'EXPIRED' };
  const given = Buffer.from(match[2], 'hex');
  const expected = hmac(secret, timestamp, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'MISMATCH' };
  }
  return { ok: true, timestamp };
}
