/**
 * How the tool signs in to the REST API. The API is open today; when routes need a token, an
 * implementation of this interface signs each customer in (and the admin for back-office routes) and
 * the rest of the tool stays as it is.
 */
export interface SignIn {
  /** Headers that authenticate a request made on behalf of this customer. */
  headersFor(customerId: string): Promise<Record<string, string>>;
}

/** No sign-in: the API takes the customerId from the request body. */
export const anonymous: SignIn = { headersFor: async () => ({}) };

export interface OrderRequest {
  customerId: string;
  items: { productId: string; quantity: number }[];
  token: string;
}

export interface PlacedOrder {
  /** 202 (or 200 for a replay); the last status seen when the order could not be placed. */
  status: number;
  orderId?: string;
  attempts: number;
  error?: string;
}

/** The REST API of the system, as a client (a shop front end) uses it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly signIn: SignIn = anonymous,
  ) {}

  /**
   * Places an order the way a careful client does: one Idempotency-Key for the order, and the same
   * request again after a 5xx, a 429 or a network error (with backoff), so an order the API took but
   * did not confirm is never placed twice.
   */
  async placeOrder(request: OrderRequest, idempotencyKey: string, maxAttempts = 6): Promise<PlacedOrder> {
    let last: PlacedOrder = { status: 0, attempts: 0 };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const response = await fetch(`${this.baseUrl}/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': idempotencyKey,
            ...(await this.signIn.headersFor(request.customerId)),
          },
          body: JSON.stringify({
            customerId: request.customerId,
            items: request.items,
            payment: { method: 'card', token: request.token },
          }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.status < 300) {
          const body = JSON.parse(text) as { orderId?: string };
          return {
            status: response.status,
            attempts: attempt,
            ...(body.orderId ? { orderId: body.orderId } : {}),
          };
        }
        last = { status: response.status, attempts: attempt, error: text.slice(0, 300) };
        if (response.status < 500 && response.status !== 429) return last;
      } catch (error) {
        last = { status: 0, attempts: attempt, error: String(error) };
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, 5_000)));
    }
    return last;
  }
}
