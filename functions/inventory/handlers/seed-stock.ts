import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { PermanentError } from '#platform/errors';
import { logger } from '#platform/powertools';
import { SeedStockFn } from '../contract';
import { stockKey } from '../stock';

const tableName = readEnv(SeedStockFn).INVENTORY_TABLE_NAME;

// CloudFormation passes custom resource properties as strings, hence the coercion.
const StockSchema = z.array(
  z.object({ productId: z.string().min(1), stock: z.coerce.number().int().nonnegative() }),
);

/** The seed in the template is malformed; CloudFormation reports the failure and rolls back. */
export class StockSeedError extends PermanentError {
  readonly code = 'INVALID_STOCK_SEED';
}

/**
 * Seeds the stock items of the inventory table (`Stock: [{ productId, stock }]`). Stock is set only
 * for products that have none yet, so redeploying never resets stock that orders have moved.
 */
export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const physicalResourceId = `${tableName}-stock-seed`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalResourceId };
  const parsed = StockSchema.safeParse(event.ResourceProperties.Stock);
  if (!parsed.success) throw new StockSeedError('Invalid Stock property', { cause: parsed.error });
  for (const { productId, stock } of parsed.data) {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: stockKey(productId),
        UpdateExpression:
          'SET entity = :entity, productId = :productId, stock = if_not_exists(stock, :stock)',
        ExpressionAttributeValues: { ':entity': 'STOCK', ':productId': productId, ':stock': stock },
      }),
    );
  }
  logger.info('stock seeded', { products: parsed.data.length });
  return { PhysicalResourceId: physicalResourceId, Data: { Seeded: parsed.data.length } };
};
