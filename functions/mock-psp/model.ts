/** Statuses the mock PSP reports. */
export type PspStatus = 'SUCCEEDED' | 'DECLINED' | 'INSUFFICIENT_FUNDS' | 'PENDING';

/** How a test token behaves, like a real PSP's test cards. */
export interface TokenBehaviour {
  /** Status recorded when the authorization is accepted. */
  status: PspStatus;
  /** For PENDING: the final status the payment moves to ... */
  resolvesTo?: Exclude<PspStatus, 'PENDING'>;
  /** ... on this status check (1-based). */
  resolvesOnCheck?: number;
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
  resolvesTo?: Exclude<PspStatus, 'PENDING'>;
  resolvesOnCheck?: number;
  statusChecks?: number;
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
