import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoff } from '#platform/backoff';
import { RetryableError } from '#platform/errors';

/**
 * Stock levels live in the inventory service's own table, one item per product:
 * `STOCK#<productId>` / `STOCK` with `stock` (N). The inventory service is the only writer; the
 * catalog reads them (a documented cross-service read) to show stock next to prices.
 */
export const stockKey = (productId: string) => ({ pk: `STOCK#${productId}`, sk: 'STOCK' as const });

/** Prefix of every stock item's partition key (IAM grants of stock readers are scoped to it). */
export const STOCK_KEY_PREFIX = 'STOCK#';

export interface StockItem {
  pk: string;
  sk: 'STOCK';
  entity: 'STOCK';
  productId: string;
  stock: number;
}

/** DynamoDB kept some keys of a stock read unprocessed (throttling); the read may be retried. */
export class StockUnavailableError extends RetryableError {
  readonly code = 'STOCK_UNAVAILABLE';
}

const BATCH_GET_LIMIT = 100;
const UNPROCESSED_RETRIES = 5;

/** Reads stock levels from the inventory table. */
export class StockLevels {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly pause: (attempt: number) => Promise<void> = (attempt) =>
      backoff(attempt + 1, { baseDelayMs: 20, maxDelayMs: 1_000 }),
  ) {}

  /**
   * Stock per product; products without a stock item are absent. `consistent` for reads a decision
   * is made on (a reservation), eventually consistent for display (the catalog).
   */
  async of(productIds: readonly string[], options: { consistent: boolean }): Promise<Map<string, number>> {
    const stock = new Map<string, number>();
    const unique = [...new Set(productIds)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = unique.slice(start, start + BATCH_GET_LIMIT).map(stockKey);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new StockUnavailableError(`Stock read left ${keys.length} product(s) unprocessed`);
        }
        if (attempt > 0) await this.pause(attempt - 1);
        const response = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ...(options.consistent ? { ConsistentRead: true } : {}),
                ProjectionExpression: 'productId, stock',
              },
            },
          }),
        );
        for (const item of (response.Responses?.[this.tableName] ?? []) as Partial<StockItem>[]) {
          if (typeof item.productId === 'string') {
            stock.set(item.productId, typeof item.stock === 'number' ? item.stock : 0);
          }
        }
        keys = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return stock;
  }
}
