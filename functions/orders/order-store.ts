import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#events';
import { backoff } from '#platform/backoff';
import { failedConditionAt, isTransactionConflict } from '#platform/dynamo';
import { RetryableError } from '#platform/errors';
import { outboxUpdate, withOutbox } from '#platform/outbox/row';
import { cartKey } from './cart-model';
import { isSagaFinished } from './domain/order';
import type { OrderState } from './domain/saga';
import {
  CUSTOMER_ORDERS_INDEX,
  type IdempotencyItem,
  idempotencyKey,
  OPEN_ORDERS_INDEX,
  OPEN_SHARDS,
  type OrderItem,
  type OrderSummaryItem,
  orderKey,
} from './model';

/** What became of an attempt to create an order. */
export type CreateResult = 'CREATED' | 'KEY_TAKEN' | 'CART_CHANGED' | 'CONFLICT';

/** The cart a checkout orders: cleared in the order's transaction if it is still at `version`. */
export interface CartToClear {
  readonly customerId: string;
  readonly version: number;
}

/** What became of an attempt to save a transition. */
export type SaveResult = 'SAVED' | 'STALE';

/** DynamoDB left some of a page's orders unread through every retry; the client may list again. */
export class OrdersUnavailableError extends RetryableError {
  readonly code = 'ORDERS_UNAVAILABLE';
}

/** Keys per BatchGetItem (DynamoDB's limit). */
const BATCH_GET_LIMIT = 100;
/** BatchGetItem retries of the keys DynamoDB left unprocessed, with backoff. */
const UNPROCESSED_RETRIES = 5;
/** What `GET /orders` shows of an order: the summary fields, read from the order item. */
const SUMMARY_FIELDS = ['orderId', 'status', 'total', 'createdAt', 'updatedAt'] as const;
/** Every field by a placeholder: `status` and `total` are DynamoDB reserved words. */
const SUMMARY_PROJECTION = {
  ProjectionExpression: SUMMARY_FIELDS.map((field) => `#${field}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(SUMMARY_FIELDS.map((field) => [`#${field}`, field])),
};
type Summary = Omit<OrderSummaryItem, 'pk' | 'sk' | 'customerId'>;

/**
 * The `orders` table: orders and the API's idempotency records. Every change of an order is one
 * write that carries the events it emits (the order item's outbox attribute).
 */
export class OrderStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly pause: (retry: number) => Promise<void> = (retry) =>
      backoff(retry, { baseDelayMs: 20, maxDelayMs: 1_000 }),
  ) {}

  /** The order; `consistent` for a read that decisions are made on. */
  async get(orderId: string, options: { consistent: boolean }): Promise<OrderItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: orderKey(orderId),
        ...(options.consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return Item as OrderItem | undefined;
  }

  /** Ids of orders not finished that were placed before `before`, at most `limit` per shard. */
  async openSince(before: Date, limit: number): Promise<string[]> {
    const ids: string[] = [];
    for (let shard = 0; shard < OPEN_SHARDS; shard++) {
      const { Items } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: OPEN_ORDERS_INDEX,
          KeyConditionExpression: 'openShard = :shard AND createdAt < :before',
          ExpressionAttributeValues: { ':shard': `OPEN#${shard}`, ':before': before.toISOString() },
          Limit: limit,
        }),
      );
      for (const item of Items ?? []) ids.push(String(item.pk).slice('ORDER#'.length));
    }
    return ids;
  }

  async getIdempotencyRecord(customerId: string, key: string): Promise<IdempotencyItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: idempotencyKey(customerId, key),
        ConsistentRead: true,
      }),
    );
    return Item as IdempotencyItem | undefined;
  }

  /**
   * One page of a customer's orders, newest first. The `byCustomer` index holds keys only (a status
   * change writes the order, not the index): a Query finds the page's keys, one BatchGetItem reads
   * their summaries, in the index's order. `cursor` is the index position the previous page ended at
   * (`next`). An order in the index but not (yet) readable is left out of its page.
   */
  async listByCustomer(
    customerId: string,
    limit: number,
    cursor?: Record<string, unknown>,
  ): Promise<{ items: OrderSummaryItem[]; next?: Record<string, unknown> }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: CUSTOMER_ORDERS_INDEX,
        KeyConditionExpression: 'customerId = :customerId',
        ExpressionAttributeValues: { ':customerId': customerId },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const keys = (page.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    const summaries = await this.summariesOf(keys);
    const items: OrderSummaryItem[] = [];
    for (const key of keys) {
      const summary = summaries.get(key.pk);
      if (summary) items.push({ ...summary, ...key, customerId });
    }
    return { items, ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}) };
  }

  /** The summary fields of the orders at `keys`, by partition key (BatchGetItem, unprocessed keys retried). */
  private async summariesOf(keys: readonly { pk: string; sk: string }[]): Promise<Map<string, Summary>> {
    const found = new Map<string, Summary>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let batch: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT);
      for (let attempt = 0; batch.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new OrdersUnavailableError(`Listing orders left ${batch.length} order(s) unread`);
        }
        if (attempt > 0) await this.pause(attempt);
        const response = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: batch,
                ...SUMMARY_PROJECTION,
              },
            },
          }),
        );
        for (const item of (response.Responses?.[this.tableName] ?? []) as Summary[]) {
          found.set(orderKey(item.orderId).pk, item);
        }
        batch = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  /**
   * Creates an order in one transaction with its Idempotency-Key record (which must not exist, or have
   * expired); its OrderCreated event rides on the order item (`withOutbox`). A checkout also deletes
   * the cart it orders in the same transaction, on condition that the cart is still at the version it
   * was priced from (`cart`). `KEY_TAKEN`: the key is in use (replay or reuse); `CART_CHANGED`: the
   * cart changed since it was read; `CONFLICT`: a concurrent transaction on the same items won, try
   * again. Nothing is written unless everything is.
   */
  async create(
    order: OrderItem,
    record: IdempotencyItem,
    created: DomainEvent,
    cart?: CartToClear,
  ): Promise<CreateResult> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: record,
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
                ExpressionAttributeValues: { ':now': Math.floor(Date.parse(record.createdAt) / 1000) },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: withOutbox(order, [created]),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            ...(cart
              ? [
                  {
                    Delete: {
                      TableName: this.tableName,
                      Key: cartKey(cart.customerId),
                      ConditionExpression: 'version = :version',
                      ExpressionAttributeValues: { ':version': cart.version },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return 'CREATED';
    } catch (error) {
      if (failedConditionAt(error, 0)) return 'KEY_TAKEN';
      if (failedConditionAt(error, 2)) return 'CART_CHANGED';
      if (isTransactionConflict(error)) return 'CONFLICT';
      throw error;
    }
  }

  /**
   * Saves a transition decided on `before`: one update of the order, conditioned on the status and
   * version it was read in (so an order that changed meanwhile, or an invalid transition, is never
   * written), that carries the emitted events (`outboxUpdate`). `STALE`: the order changed since it
   * was read; read it again and decide again.
   */
  async save(before: OrderState, after: OrderState, emitted: readonly DomainEvent[]): Promise<SaveResult> {
    const values: Record<string, unknown> = {
      ':to': after.status,
      ':now': after.updatedAt,
      ':one': 1,
      ':version': before.version,
      ':from': before.status,
      ':entries': after.history.slice(before.history.length),
    };
    const sets = [
      '#status = :to',
      'updatedAt = :now',
      'version = version + :one',
      'history = list_append(history, :entries)',
    ];
    for (const field of ['reservationId', 'paymentId', 'releaseRequested', 'reversalRequested'] as const) {
      const value = after[field];
      if (value !== undefined && value !== before[field]) {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    // A finished order leaves the open-orders index.
    const finished = isSagaFinished(after.status) ? ' REMOVE openShard' : '';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderKey(after.orderId),
          ...outboxUpdate(
            {
              UpdateExpression: `SET ${sets.join(', ')}${finished}`,
              ConditionExpression: '#status = :from AND version = :version',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: values,
            },
            emitted,
          ),
        }),
      );
      return 'SAVED';
    } catch (error) {
      // A write also fails with a conflict while a transaction holds the item.
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionConflictException)
        return 'STALE';
      throw error;
    }
  }
}
