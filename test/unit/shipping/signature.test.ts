import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '#functions/shipping/signature';

const SECRET = 'whsec-test-0123456789';
const BODY = '{"eventId":"evt-1","status":"PICKED_UP"}';
const NOW = 1_740_830_400;

describe('Function: verifyWebhook', () => {
  it('accepts a body signed with the secret within the tolerance', () => {
    // Prepare
    const header = signWebhook(SECRET, BODY, NOW - 10);

    // Act
    const check = verifyWebhook(header, BODY, SECRET, NOW, 300);

    // Assess
    expect(check).toEqual({ ok: true, timestamp: NOW - 10 });
  });

  it.each([
    ['no header', undefined, 'MISSING'],
    ['an empty header', ' ', 'MISSING'],
    ['a header without a timestamp', `v1=${'a'.repeat(64)}`, 'MALFORMED'],
    ['a short signature', `t=${NOW},v1=abc`, 'MALFORMED'],
    ['a signature with another secret', signWebhook('other-secret', BODY, NOW), 'MISMATCH'],
    ['a signature of another body', signWebhook(SECRET, `${BODY} `, NOW), 'MISMATCH'],
    ['a timestamp outside the tolerance (replay)', signWebhook(SECRET, BODY, NOW - 301), 'EXPIRED'],
    ['a timestamp in the future beyond the tolerance', signWebhook(SECRET, BODY, NOW + 301), 'EXPIRED'],
  ])('refuses %s as %s', (_what, header, reason) => {
    // Act
    const check = verifyWebhook(header, BODY, SECRET, NOW, 300);

    // Assess
    expect(check).toEqual({ ok: false, reason });
  });

  it('refuses a signature whose signed timestamp was changed after signing', () => {
    // Prepare
    const header = signWebhook(SECRET, BODY, NOW - 1000).replace(`t=${NOW - 1000}`, `t=${NOW}`);

    // Act
    const check = verifyWebhook(header, BODY, SECRET, NOW, 300);

    // Assess
    expect(check).toEqual({ ok: false, reason: 'MISMATCH' });
  });
});
