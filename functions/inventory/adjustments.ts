import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import * as z from 'zod';
import { createEvent } from '#events';
import { cancellationCodes, failedConditionAt } from '#platform/dynamo';
import { PermanentError, RetryableError } from '#platform/errors';
import { withOutbox } from '#platform/outbox/row';
import { INVENTORY_SOURCE } from './model';
import { type StockItem, stockKey } from './stock';

/**
 * Stock changed by hand in the back office (`PUT /admin/products/{productId}/stock`): a restock, a
 * count correction. Each change is one transaction of the product's stock item and an audit item that
 * carries the StockAdjusted event; a change that cannot apply writes nothing.
 */

export const STOCK_ADJUSTMENT_LIMITS = { maxBodyBytes: 4096, maxStock: 1_000_000_000, maxReasonLength: 500 };

const count = (min: number) =>
  z
    .number({ error: 'must be an integer' })
    .int({ error: 'must be an integer' })
    .min(min)
    .max(STOCK_ADJUSTMENT_LIMITS.maxStock);

/** The body of `PUT /admin/products/{productId}/stock`: exactly one of `set` and `add`. */
export const StockAdjustmentRequestSchema = z
  .strictObject({
    set: count(0).optional().describe('the new stock (an integer ≥ 0)'),
    add: count(-STOCK_ADJUSTMENT_LIMITS.maxStock)
      .refine((n) => n !== 0, { error: 'add must not be 0' })
      .optional()
      .describe('units to add (negative: to take away); the stock must not go below zero'),
    expectedStock: count(0)
      .optional()
      .describe('the stock the change is meant for; a different current stock is a 409 and nothing changes'),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(STOCK_ADJUSTMENT_LIMITS.maxReasonLength)
      .optional()
      .describe('why, for the audit record'),
  })
  .refine((body) => (body.set === undefined) !== (body.add === undefined), {
    error: 'give exactly one of set and add',
  })
  .meta({ id: 'StockAdjustment' });
export type StockAdjustmentRequest = z.infer<typeof StockAdjustmentRequestSchema>;

/** The answer of a stock adjustment. */
export const StockAdjustmentViewSchema = z
  .strictObject({
    productId: z.string(),
    stock: z.number().int().describe('the stock after the change'),
    stockBefore: z.number().int(),
    adjustmentId: z.string().describe('id of the audit record (and of its StockAdjusted event)'),
    adjustedBy: z.string(),
    adjustedAt: z.string().describe('ISO 8601 UTC timestamp'),
  })
  .meta({ id: 'StockAdjustmentResult' });
export type StockAdjustmentView = z.infer<typeof StockAdjustmentViewSchema>;

/** Audit records of a product's stock: `AUDIT#STOCK#<productId>` / `<adjustedAt>#<adjustmentId>`. */
export const AUDIT_KEY_PREFIX = 'AUDIT#';
export const stockAuditKey = (productId: string, adjustedAt: string, adjustmentId: string) => ({
  pk: `${AUDIT_KEY_PREFIX}STOCK#${productId}`,
  sk: `${adjustedAt}#${adjustmentId}`,
});

export interface StockAuditItem {
  pk: string;
  sk: string;
  entity: 'STOCK_ADJUSTMENT';
  productId: string;
  adjustmentId: string;
  change: 'SET' | 'ADD';
  quantity: number;
  expectedStock?: number;
  stockBefore: number;
  stockAfter: number;
  adjustedBy: string;
  adjustedBySub: string;
  adjustedAt: string;
  reason?: string;
}

/** The product has no stock item: it is not in the inventory (nor sold by the catalog). */
export class UnknownStockError extends PermanentError {
  readonly code = 'UNKNOWN_PRODUCT';
}

/** The change does not apply to the current stock (an expected stock that differs, a negative result). */
export class StockAdjustmentConflictError extends PermanentError {
  constructor(
    readonly code: 'STOCK_MISMATCH' | 'STOCK_WOULD_BE_NEGATIVE',
    message: string,
    readonly currentStock: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The stock item changed between the read and the write too often; the same request may succeed. */
export class StockAdjustmentContendedError extends RetryableError {
  readonly code = 'STOCK_CONTENDED';
}

export interface Adjustment {
  productId: string;
  request: StockAdjustmentRequest;
  admin: { sub: string; name: string };
  now: Date;
}

/** Writes stock adjustments to the inventory table. */
export class StockAdjustments {
  /** `inCatalog`: whether the catalog sells a product (one without a stock item yet starts at 0). */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly inCatalog: (productId: string) => Promise<boolean>,
  ) {}

  /**
   * Applies one adjustment: a consistent read of the stock (a product of the catalog without a stock
   * item has 0 and gets its item now; one not in the catalog is unknown; 409 when the expected stock
   * differs or the result would be negative), then one transaction of the stock
   * update and the audit item with its StockAdjusted event. A condition that fails in the transaction
   * (the stock moved since the read) is answered from a fresh read, as a 404 or 409.
   */
  async adjust({ productId, request, admin, now }: Adjustment): Promise<StockAdjustmentView> {
    const stored = await this.current(productId);
    if (stored === undefined && !(await this.inCatalog(productId))) {
      throw new UnknownStockError(`Product ${productId} is not in the catalog`);
    }
    const before = stored ?? 0;
    const conflict = this.conflictOf(request, before);
    if (conflict) throw conflict;
    const adjustedAt = now.toISOString();
    const adjustmentId = ulid(now.getTime());
    const after = request.set ?? before + (request.add ?? 0);
    const change = request.set === undefined ? 'ADD' : 'SET';
    const quantity = request.set ?? request.add ?? 0;
    const audit: StockAuditItem = {
      ...stockAuditKey(productId, adjustedAt, adjustmentId),
      entity: 'STOCK_ADJUSTMENT',
      productId,
      adjustmentId,
      change,
      quantity,
      ...(request.expectedStock === undefined ? {} : { expectedStock: request.expectedStock }),
      stockBefore: before,
      stockAfter: after,
      adjustedBy: admin.name,
      adjustedBySub: admin.sub,
      adjustedAt,
      ...(request.reason ? { reason: request.reason } : {}),
    };
    const event = createEvent(
      'StockAdjusted',
      {
        productId,
        adjustmentId,
        change,
        quantity,
        stockBefore: before,
        stockAfter: after,
        adjustedBy: admin.name,
        ...(request.reason ? { reason: request.reason } : {}),
      },
      { source: INVENTORY_SOURCE, aggregateId: productId, eventId: adjustmentId, now },
    );
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: stockKey(productId),
                ...stockUpdate(request, adjustedAt, stored === undefined ? productId : undefined),
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: withOutbox(audit, [event]),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (failedConditionAt(error, 0)) {
        const current = await this.current(productId);
        throw (
          (current === undefined ? undefined : this.conflictOf(request, current, error)) ??
          new StockAdjustmentContendedError(`The stock of ${productId} changed during the adjustment`, {
            cause: error,
          })
        );
      }
      if (cancellationCodes(error).includes('TransactionConflict')) {
        throw new StockAdjustmentContendedError(`The stock of ${productId} is being changed`, {
          cause: error,
        });
      }
      throw error;
    }
    return {
      productId,
      stock: after,
      stockBefore: before,
      adjustmentId,
      adjustedBy: admin.name,
      adjustedAt,
    };
  }

  private conflictOf(
    request: StockAdjustmentRequest,
    stock: number,
    cause?: unknown,
  ): StockAdjustmentConflictError | undefined {
    if (request.expectedStock !== undefined && request.expectedStock !== stock) {
      return new StockAdjustmentConflictError(
        'STOCK_MISMATCH',
        `The stock is ${stock}, not the expected ${request.expectedStock}`,
        stock,
        { cause },
      );
    }
    if (request.add !== undefined && stock + request.add < 0) {
      return new StockAdjustmentConflictError(
        'STOCK_WOULD_BE_NEGATIVE',
        `The stock is ${stock}: taking ${-request.add} would leave it below zero`,
        stock,
        { cause },
      );
    }
    return undefined;
  }

  private async current(productId: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: stockKey(productId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const stock = (Item as Partial<StockItem>).stock;
    return typeof stock === 'number' ? stock : 0;
  }
}

/**
 * The stock item's update: `set` replaces the stock, `add` adds to it (a negative `add` only while
 * the stock covers it); both only on an existing stock item and, when given, the expected stock. The
 * event of the change rides on the audit item, not on the stock item. `newProductId`: the product has
 * no stock item yet (a new catalog product); the update creates it, only while it is still absent.
 */
export function stockUpdate(request: StockAdjustmentRequest, now: string, newProductId?: string) {
  const conditions = [newProductId === undefined ? 'attribute_exists(pk)' : 'attribute_not_exists(pk)'];
  const values: Record<string, unknown> = { ':now': now };
  const sets = newProductId === undefined ? [] : ['entity = :entity', 'productId = :productId'];
  if (newProductId !== undefined) {
    values[':entity'] = 'STOCK';
    values[':productId'] = newProductId;
  }
  let expression: string;
  if (request.set !== undefined) {
    expression = `SET ${['stock = :stock', ...sets, 'updatedAt = :now'].join(', ')}`;
    values[':stock'] = request.set;
  } else {
    const add = request.add ?? 0;
    expression = `SET ${[...sets, 'updatedAt = :now'].join(', ')} ADD stock :n`;
    values[':n'] = add;
    if (add < 0 && newProductId === undefined) {
      conditions.push('stock >= :minus');
      values[':minus'] = -add;
    }
  }
  if (request.expectedStock !== undefined && newProductId === undefined) {
    conditions.push('stock = :expected');
    values[':expected'] = request.expectedStock;
  }
  return {
    UpdateExpression: expression,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeValues: values,
  };
}
