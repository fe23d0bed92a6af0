import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CartItem } from '#functions/orders/cart-model';
import { CartStore } from '#functions/orders/cart-store';

const TABLE = 'orders-test';
const NOW = new Date('2025-03-01T12:00:00.000Z');
const doc = mockClient(DynamoDBDocumentClient);
const store = () => new CartStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE);

const cart = (version: number, lines = [{ productId: 'p-1', quantity: 1 }]): CartItem => ({
  pk: 'CART#c-1',
  sk: 'CART',
  entity: 'CART',
  lines,
  version,
  updatedAt: '2025-03-01T11:00:00.000Z',
});

describe('Class: CartStore', () => {
  beforeEach(() => doc.reset());

  it("reads the customer's cart consistently, and an empty cart at version 0 when there is none", async () => {
    // Prepare
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: cart(3) })
      .resolvesOnce({});

    // Act
    const held = await store().get('c-1');
    const none = await store().get('c-2');

    // Assess
    expect(held.version).toBe(3);
    expect(none).toMatchObject({ pk: 'CART#c-2', sk: 'CART', lines: [], version: 0 });
    expect(doc.commandCalls(GetCommand)[1]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'CART#c-2', sk: 'CART' },
      ConsistentRead: true,
    });
  });

  it('creates a cart only where none exists, at version 1', async () => {
    // Act
    const result = await store().save('c-1', cart(0, []), [{ productId: 'p-1', quantity: 2 }], NOW);

    // Assess
    expect(result).toBe('SAVED');
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'CART#c-1',
        sk: 'CART',
        entity: 'CART',
        lines: [{ productId: 'p-1', quantity: 2 }],
        version: 1,
        updatedAt: NOW.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('replaces a cart on condition of the version it was read at, and deletes it when no line is left', async () => {
    // Act
    await store().save('c-1', cart(4), [{ productId: 'p-2', quantity: 1 }], NOW);
    await store().save('c-1', cart(5), [], NOW);

    // Assess
    const put = doc.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.Item).toMatchObject({ version: 5, lines: [{ productId: 'p-2', quantity: 1 }] });
    expect(put).toMatchObject({
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': 4 },
    });
    expect(doc.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'CART#c-1', sk: 'CART' },
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': 5 },
    });
  });

  it('answers STALE when the cart changed since it was read, and passes other failures on', async () => {
    // Prepare
    doc
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }))
      .rejectsOnce(new Error('throttled'));

    // Act
    const stale = await store().save('c-1', cart(2), [{ productId: 'p-1', quantity: 3 }], NOW);
    const failure = store().save('c-1', cart(2), [{ productId: 'p-1', quantity: 3 }], NOW);

    // Assess
    expect(stale).toBe('STALE');
    await expect(failure).rejects.toThrow('throttled');
  });

  it("empties a customer's cart with an unconditional delete of its item", async () => {
    // Act
    await store().clear('c-1');

    // Assess
    expect(doc.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'CART#c-1', sk: 'CART' },
    });
  });
});
