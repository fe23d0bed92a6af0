import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { StockLevels, StockUnavailableError } from '#functions/inventory/stock';

const TABLE = 'inventory-test';
const doc = mockClient(DynamoDBDocumentClient);
const levels = (pause = vi.fn(async () => undefined)) =>
  new StockLevels(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), TABLE, pause);

describe('Class: StockLevels', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('reads the STOCK# items of the inventory table, consistently when asked, each product once', async () => {
    // Prepare
    doc.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [{ productId: 'p-1', stock: 3 }] } });

    // Act
    const stock = await levels().of(['p-1', 'p-2', 'p-1'], { consistent: true });

    // Assess
    expect(stock).toEqual(new Map([['p-1', 3]]));
    expect(doc.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.[TABLE]).toEqual({
      Keys: [
        { pk: 'STOCK#p-1', sk: 'STOCK' },
        { pk: 'STOCK#p-2', sk: 'STOCK' },
      ],
      ConsistentRead: true,
      ProjectionExpression: 'productId, stock',
    });
  });

  it('reads unprocessed keys again after a pause, and gives up with a retryable error', async () => {
    // Prepare
    const pause = vi.fn(async () => undefined);
    doc.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'STOCK#p-1', sk: 'STOCK' }] } },
    });

    // Act
    const read = levels(pause).of(['p-1'], { consistent: false });

    // Assess
    await expect(read).rejects.toBeInstanceOf(StockUnavailableError);
    expect(doc.commandCalls(BatchGetCommand)).toHaveLength(6);
    expect(pause).toHaveBeenCalledTimes(5);
  });

  it('splits more than 100 products into batches of 100', async () => {
    // Prepare
    doc.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const ids = Array.from({ length: 150 }, (_, index) => `p-${index}`);

    // Act
    await levels().of(ids, { consistent: false });

    // Assess
    expect(
      doc.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length),
    ).toEqual([100, 50]);
  });
});
