import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { backoff } from '#platform/backoff';
import { RetryableError } from '#platform/errors';
import { MoneySchema } from '#platform/money';
import { cursorParam, pageSchema, wholeNumberParam } from '#platform/params';

/** A product as orders see it: what it costs and who sells it. */
export interface CatalogProduct {
  readonly productId: string;
  readonly name: string;
  readonly priceMinor: number;
  readonly currency: string;
  readonly sellerId: string;
  readonly description?: string;
}

/** A product item of the `products` table. Its stock lives in the inventory service's table. */
export type ProductItem = CatalogProduct;

/** A product id in a path: 1-64 characters of letters, digits and . _ : @ - */
export const ProductIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/)
  .describe('the product id');

export const LIST_PRODUCTS_LIMITS = { defaultLimit: 50, maxLimit: 100 } as const;

/** The query of `GET /products`. */
export const ListProductsQuerySchema = z.object({
  limit: wholeNumberParam(1, LIST_PRODUCTS_LIMITS.maxLimit)
    .optional()
    .describe(
      `products per page, 1 to ${LIST_PRODUCTS_LIMITS.maxLimit} (default ${LIST_PRODUCTS_LIMITS.defaultLimit})`,
    ),
  cursor: cursorParam().optional(),
});

/** A product as the API shows it. */
export const ProductViewSchema = z
  .strictObject({
    productId: z.string(),
    name: z.string(),
    price: MoneySchema,
    sellerId: z.string(),
    description: z.string().optional(),
    stock: z.number().int().describe('units in stock (the inventory service keeps it)'),
  })
  .meta({ id: 'Product' });
export type ProductView = z.infer<typeof ProductViewSchema>;

/** A page of `GET /products`. */
export const ProductListSchema = pageSchema(ProductViewSchema);

/** The public view of a product, with its stock (0 when the inventory has no stock item for it). */
export function productView(item: ProductItem, stock: ReadonlyMap<string, number>): ProductView {
  return {
    productId: item.productId,
    name: item.name,
    price: { amountMinor: item.priceMinor, currency: item.currency },
    sellerId: item.sellerId,
    ...(item.description ? { description: item.description } : {}),
    stock: stock.get(item.productId) ?? 0,
  };
}

/** The body of `POST /admin/products`: the product's id is generated unless given. */
export const CreateProductRequestSchema = z
  .strictObject({
    productId: ProductIdSchema.optional().describe('the product id; a new UUID when left out'),
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().min(1).max(2000).optional(),
    price: z.strictObject({
      amountMinor: z.number().int().min(1).max(100_000_000).describe('integer minor units (cents)'),
      currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
    }),
    sellerId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/, 'a seller id is 1-64 letters, digits and . _ : @ -'),
  })
  .meta({ id: 'NewProduct' });
export type CreateProductRequest = z.infer<typeof CreateProductRequestSchema>;

/** DynamoDB kept some keys of a lookup unprocessed (throttling); the request may be retried. */
export class CatalogUnavailableError extends RetryableError {
  readonly code = 'CATALOG_UNAVAILABLE';
}

const BATCH_GET_LIMIT = 100;
const UNPROCESSED_RETRIES = 5;

/** Read access to the products table. */
export class ProductCatalog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(productId: string): Promise<ProductItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { productId } }),
    );
    return Item as ProductItem | undefined;
  }

  /** Adds a product; false (nothing written) when one with its id exists. */
  async create(item: ProductItem & { createdAt: string; createdBy: string }): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item },
          ConditionExpression: 'attribute_not_exists(productId)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** One page of products; `cursor` is the opaque `nextCursor` of the previous page. */
  async list(limit: number, cursor?: Record<string, unknown>) {
    const page = await this.client.send(
      new ScanCommand({ TableName: this.tableName, Limit: limit, ExclusiveStartKey: cursor }),
    );
    const items = ((page.Items ?? []) as ProductItem[]).sort((a, b) =>
      a.productId.localeCompare(b.productId),
    );
    return { items, next: page.LastEvaluatedKey };
  }

  /** The catalog entries for the given ids (missing ids are simply absent from the map). */
  async getMany(productIds: readonly string[]): Promise<Map<string, CatalogProduct>> {
    const found = new Map<string, CatalogProduct>();
    for (let start = 0; start < productIds.length; start += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] = productIds
        .slice(start, start + BATCH_GET_LIMIT)
        .map((productId) => ({ productId }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new CatalogUnavailableError(`Catalog lookup left ${keys.length} product(s) unprocessed`);
        }
        if (attempt > 0) await backoff(attempt, { baseDelayMs: 40 });
        const response = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ProjectionExpression: 'productId, #name, priceMinor, currency, sellerId',
                ExpressionAttributeNames: { '#name': 'name' },
              },
            },
          }),
        );
        for (const item of (response.Responses?.[this.tableName] ?? []) as CatalogProduct[]) {
          found.set(item.productId, item);
        }
        keys = (response.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }
}
