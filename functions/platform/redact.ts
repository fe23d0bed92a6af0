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

/**
 * An email address with its local part hidden but its first character: `a***@example.com`. The
 * domain stays, so an operator can still tell a placeholder from a real mailbox provider.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

/** A phone number with all but its country prefix and last four digits hidden: `+44******1234`. */
export function maskPhone(number: string): string {
  const digits = number.replace(/[^0-9]/g, '');
  if (digits.length <= 6) return `+${'*'.repeat(digits.length)}`;
  return `+${digits.slice(0, 2)}${'*'.repeat(digits.length - 6)}${digits.slice(-4)}`;
}

const EMAIL_IN_TEXT = /[A-Za-z0-9.!#$%&'*+=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
const PHONE_IN_TEXT = /\+[1-9][0-9]{6,14}\b/g;

/**
 * `text` with every email address and E.164 phone number in it masked (`maskEmail`, `maskPhone`):
 * for messages of errors that may quote a recipient (a provider's rejection, an SDK error), and for
 * every string value of every log line (`logger` in `./powertools`).
 */
export function maskContacts(text: string): string {
  return text.replace(EMAIL_IN_TEXT, maskEmail).replace(PHONE_IN_TEXT, maskPhone);
}

/** A JSON replacer that masks contacts in every string value (`maskContacts`). */
export function maskContactsReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? maskContacts(value) : value;
}
