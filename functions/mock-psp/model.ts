/**
 * Statuses the mock PSP reports. It captures on success: PENDING holds the amount authorized but not
 * captured, SUCCEEDED has it captured (charged). A void releases a PENDING authorization (VOIDED), a
 * refund pays a SUCCEEDED payment back (REFUNDED).
 */
export type PspStatus = 'SUCCEEDED' | 'DECLINED' | 'INSUFFICIENT_FUNDS' | 'PENDING' | 'VOIDED' | 'REFUNDED';

/** The outcomes of an authorization. */
export type AuthorizationOutcome = Exclude<PspStatus, 'VOIDED' | 'REFUNDED'>;

/** How a test token behaves, like a real PSP's test cards. */
export interface TokenBehaviour {
  /** Status recorded when the authorization is accepted. */
  status: AuthorizationOutcome;
  /** For PENDING: the final status the payment moves to ... */
  resolvesTo?: Exclude<AuthorizationOutcome, 'PENDING'>;
  /** ... on this status check (1-based) ... */
  resolvesOnCheck?: number;
  /** ... or, `late`, `PSP_LATE_SETTLE_MS` after it was accepted, whether anyone checks or not. */
  resolvesAfter?: 'late';
  /** Calls for one key answered 503 before the authorization is accepted. */
  failFirstCalls?: number;
  /** Answers are delayed: `timeout` beyond the caller's timeout, `slow` noticeably. */
  delay?: 'timeout' | 'slow';
}

export const TEST_TOKENS: Readonly<Record<string, TokenBehaviour>> = {
  tok_ok: { status: 'SUCCEEDED' },
  tok_decline: { status: 'DECLINED' },
  tok_insufficient_funds: { status: 'INSUFFICIENT_FUNDS' },
  tok_pending: { status: 'PENDING', resolvesTo: 'SUCCEEDED', resolvesOnCheck: 3 },
  tok_pending_fail: { status: 'PENDING', resolvesTo: 'DECLINED', resolvesOnCheck: 3 },
  tok_flaky: { status: 'SUCCEEDED', failFirstCalls: 2 },
  tok_timeout: { status: 'SUCCEEDED', delay: 'timeout' },
  tok_slow: { status: 'SUCCEEDED', delay: 'slow' },
  tok_late: { status: 'PENDING', resolvesTo: 'SUCCEEDED', resolvesAfter: 'late' },
};

/** Any other token is declined, as a real PSP declines a card token it does not know. */
export const UNKNOWN_TOKEN: TokenBehaviour = { status: 'DECLINED' };

export const behaviourOf = (token: string): TokenBehaviour => TEST_TOKENS[token] ?? UNKNOWN_TOKEN;

export interface PspMoney {
  amountMinor: number;
  currency: string;
}

/** A payment as the mock PSP stores it (table `psp`, key `paymentId`). */
export interface PspPaymentRecord {
  paymentId: string;
  /** POST calls received for this idempotency key, accepted or not. */
  calls: number;
  /** Absent until an authorization was accepted. */
  status?: PspStatus;
  token?: string;
  amount?: PspMoney;
  splits?: { sellerId: string; amount: PspMoney }[];
  pspReference?: string;
  resolvesTo?: Exclude<AuthorizationOutcome, 'PENDING'>;
  resolvesOnCheck?: number;
  /** A PENDING payment settles to `resolvesTo` at this time (ISO-8601), checked or not. */
  resolvesAt?: string;
  statusChecks?: number;
  /** When it was voided or refunded. */
  releasedAt?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** An accepted authorization request. */
export interface AuthorizationBody {
  paymentId: string;
  amount: PspMoney;
  token: string;
  splits: { sellerId: string; amount: PspMoney }[];
}
