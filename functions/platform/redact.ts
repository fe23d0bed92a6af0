/**
 * Removes what must not leave a service in views and logs: payment tokens (the value of any `token`
 * field, and anything shaped like a PSP token, `tok_...`) and customer ids (the value of any
 * `customerId` field). Works on text, so it also covers records that are not valid JSON.
 */

export const REDACTED = '[REDACTED]';

const TOKEN_FIELD = /("token"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
const CUSTOMER_FIELD = /("customerId"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
const PSP_TOKEN = /\btok_[A-Za-z0-9_]+/g;

/** `text` without payment tokens. */
export function redactPaymentTokens(text: string): string {
  return text.replace(TOKEN_FIELD, `$1"${REDACTED}"`).replace(PSP_TOKEN, REDACTED);
}

/** `text` without payment tokens and customer ids. */
export function redactCustomerData(text: string): string {
  return redactPaymentTokens(text).replace(CUSTOMER_FIELD, `$1"${REDACTED}"`);
}
