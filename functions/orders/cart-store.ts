import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type CartItem, cartKey, emptyCart } from './cart-model';
import type { CartLine } from './domain/cart';

/** What became of a conditional change of a cart. */
export type CartSaveResult = 'SAVED' | 'STALE';

/**
 * The carts in the orders table (one item per customer, `CART#<sub>`). Every change is conditioned on
 * the version it was decided on, so two concurrent changes never overwrite each other, and a checkout
 * (`OrderStore.create` with the cart's version) orders exactly the cart it clears.
 */
export class CartStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The customer's cart, read consistently; an empty cart (version 0) when there is none. */
  async get(customerId: string): Promise<CartItem> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: cartKey(customerId), ConsistentRead: true }),
    );
    return (Item as CartItem | undefined) ?? emptyCart(customerId);
  }

  /**
   * Replaces the lines of the cart read at `before.version`: a put of version + 1, or the cart's delete
   * when no line is left. `STALE`: the cart changed since it was read (or a checkout holds it).
   */
  async save(
    customerId: string,
    before: CartItem,
    lines: readonly CartLine[],
    now: Date,
  ): Promise<CartSaveResult> {
    const condition =
      before.version === 0
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': before.version },
          };
    try {
      if (lines.length === 0) {
        await this.client.send(
          new DeleteCommand({ TableName: this.tableName, Key: cartKey(customerId), ...condition }),
        );
      } else {
        const item: CartItem = {
          ...cartKey(customerId),
          entity: 'CART',
          lines: [...lines],
          version: before.version + 1,
          updatedAt: now.toISOString(),
        };
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
      }
      return 'SAVED';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionConflictException)
        return 'STALE';
      throw error;
    }
  }

  /** Empties the customer's cart (deletes its item); emptying an empty cart changes nothing. */
  async clear(customerId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: cartKey(customerId) }));
  }
}
