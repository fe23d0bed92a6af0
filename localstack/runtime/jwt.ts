import { createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

/** An RS256 signing key with the public JWK a JWKS publishes. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** `{ kty, n, e, kid, alg: RS256, use: sig }` */
  readonly jwk: Record<string, string>;
}

/** A fresh 2048-bit RSA key for RS256 signatures. */
export function generateSigningKey(kid: string = randomUUID()): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const exported = publicKey.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { kty: exported.kty, n: exported.n, e: exported.e, kid, alg: 'RS256', use: 'sig' },
  };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWT of `payload` signed with `key` (RS256). `header` overrides or adds header fields (tests use
 * it for `alg: none` and other forgeries); `unsigned` leaves the signature empty.
 */
export function signJwt(
  payload: Record<string, unknown>,
  key: SigningKey,
  options: { header?: Record<string, unknown>; unsigned?: boolean } = {},
): string {
  const header = { kid: key.kid, alg: 'RS256', typ: 'JWT', ...options.header };
  const input = `${base64url(header)}.${base64url(payload)}`;
  if (options.unsigned) return `${input}.`;
  const signature = sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

/** Why a token was refused. */
export type JwtRejection =
  | 'MALFORMED'
  | 'UNSUPPORTED_ALGORITHM'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'WRONG_ISSUER'
  | 'WRONG_AUDIENCE'
  | 'WRONG_TOKEN_USE';

export type JwtCheck =
  | { ok: true; header: Record<string, unknown>; payload: Record<string, unknown> }
  | { ok: false; reason: JwtRejection };

const parseSegment = (segment: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Checks a JWT's form and RS256 signature against `keys` (by `kid`), then its time claims with
 * `clockSkewSeconds` of tolerance. Only RS256 is accepted: `alg: none` and HMAC forgeries fail.
 */
export function verifyJwt(
  token: string,
  keys: ReadonlyMap<string, KeyObject>,
  now: Date = new Date(),
  clockSkewSeconds = 0,
): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part, index) => part === '' && index < 2))
    return { ok: false, reason: 'MALFORMED' };
  const [rawHeader = '', rawPayload = '', rawSignature = ''] = parts;
  const header = parseSegment(rawHeader);
  const payload = parseSegment(rawPayload);
  if (!header || !payload) return { ok: false, reason: 'MALFORMED' };
  if (header.alg !== 'RS256') return { ok: false, reason: 'UNSUPPORTED_ALGORITHM' };
  const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
  if (!key) return { ok: false, reason: 'UNKNOWN_KEY' };
  const valid =
    rawSignature !== '' &&
    verify(
      'RSA-SHA256',
      Buffer.from(`${rawHeader}.${rawPayload}`),
      key,
      Buffer.from(rawSignature, 'base64url'),
    );
  if (!valid) return { ok: false, reason: 'BAD_SIGNATURE' };
  const seconds = now.getTime() / 1000;
  if (typeof payload.exp !== 'number' || payload.exp + clockSkewSeconds <= seconds)
    return { ok: false, reason: 'EXPIRED' };
  if (typeof payload.nbf === 'number' && payload.nbf - clockSkewSeconds > seconds)
    return { ok: false, reason: 'NOT_YET_VALID' };
  return { ok: true, header, payload };
}

/** The public key of a JWK, for `verifyJwt`. */
export const publicKeyOf = (jwk: Record<string, string>): KeyObject =>
  createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
