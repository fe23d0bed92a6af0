import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod';
import { documentClient } from '#platform/clients';
import { readEnv } from '#platform/env';
import { PermanentError } from '#platform/errors';
import { logger } from '#platform/powertools';
import { SeedProductsFn } from '../contract';

const tableName = readEnv(SeedProductsFn).PRODUCTS_TABLE_NAME;

// CloudFormation passes custom resource properties as strings, hence the coercion.
const ProductsSchema = z.array(
  z.object({
    productId: z.string().min(1),
    name: z.string().min(1),
    priceMinor: z.coerce.number().int().nonnegative(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    sellerId: z.string().min(1),
  }),
);

/** The seed in the template is malformed; CloudFormation reports the failure and rolls back. */
export class SeedError extends PermanentError {
  readonly code = 'INVALID_SEED';
}

/**
 * Seeds the catalog: name, price and seller follow the seed on every create/update. Stock is the
 * inventory service's (its own seed, `Custom::SeedStock`).
 */
export const handler = async (event: CloudFormationCustomResourceEvent) => {
  const physicalResourceId = `${tableName}-product-seed`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalResourceId };
  const parsed = ProductsSchema.safeParse(event.ResourceProperties.Products);
  if (!parsed.success) throw new SeedError('Invalid Products property', { cause: parsed.error });
  for (const product of parsed.data) {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { productId: product.productId },
        UpdateExpression: 'SET #name = :name, priceMinor = :price, currency = :currency, sellerId = :seller',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':name': product.name,
          ':price': product.priceMinor,
          ':currency': product.currency,
          ':seller': product.sellerId,
        },
      }),
    );
  }
  logger.info('catalog seeded', { products: parsed.data.length });
  return { PhysicalResourceId: physicalResourceId, Data: { Seeded: parsed.data.length } };
};
