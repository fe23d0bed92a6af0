import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createEvent } from '#events';
import type { ProductCatalog } from '#functions/catalog/products';
import { HttpError } from '#platform/errors';
import { outboxPut } from '#platform/outbox/row';
import { requestHash } from './canonical';
import type { CreateOrderRequest } from './domain/create-order-request';
import { initialHistory } from './domain/order';
import { priceOrder } from './domain/pricing';
import {
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotencyItem,
  idempotencyKey,
  type OrderItem,
  orderKey,
  orderView,
} from './model';

export interface CreateOrderDeps {
  client: DynamoDBDocumentClient;
  catalog: ProductCatalog;
  ordersTable: string;
  clock: () => Date;
  newOrderId: () => string;
  /** Backoff before retrying a transaction that lost a race; injectable for tests. */
  backoff?: (attempt: number) => Promise<void>;
}

export interface CreateOrderInput {
  request: CreateOrderRequest;
  idempotencyKey: string;
  traceHeader?: string;
}

export interface CreateOrderOutcome {
  replayed: boolean;
  statusCode: number;
  /** The response body, serialized; a replay returns the original bytes. */
  body: string;
  location: string;
  orderId: string;
}

const SOURCE = 'order-service';
const MAX_CONFLICT_RETRIES = 6;

const defaultBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));

/**
 * Creates an order: prices it from the catalog and writes, in ONE transaction, the order, its
 * OrderCreated outbox row and the Idempotency-Key record. Because the key record commits with the
 * order, a key maps to at most one order no matter how many requests race, and a replay returns the
 * stored response. A key reused with a different body is a 409.
 */
export async function createOrder(
  deps: CreateOrderDeps,
  input: CreateOrderInput,
): Promise<CreateOrderOutcome> {
  const hash = requestHash(input.request);
  const priced = priceOrder(
    input.request.items,
    await deps.catalog.getMany(input.request.items.map((i) => i.productId)),
  );
  if (!priced.ok) {
    if (priced.reason === 'UNKNOWN_PRODUCTS') {
      throw new HttpError(422, 'UNKNOWN_PRODUCT', 'One or more products do not exist in the catalog', {
        details: priced.productIds.map((productId) => ({
          path: `items.${input.request.items.findIndex((i) => i.productId === productId)}.productId`,
          message: `unknown product ${productId}`,
          productId,
        })),
      });
    }
    throw new HttpError(422, 'MIXED_CURRENCIES', 'All products of one order must share a currency', {
      details: [{ message: `currencies: ${priced.currencies.join(', ')}` }],
    });
  }

  const backoff = deps.backoff ?? defaultBackoff;
  for (let attempt = 0; ; attempt++) {
    const now = deps.clock();
    const orderId = deps.newOrderId();
    const event = createEvent(
      'OrderCreated',
      {
        orderId,
        customerId: input.request.customerId,
        lines: priced.lines,
        total: priced.total,
        payment: input.request.payment,
        createdAt: now.toISOString(),
      },
      {
        source: SOURCE,
        aggregateId: orderId,
        now,
        ...(input.traceHeader ? { trace: { xrayTraceHeader: input.traceHeader } } : {}),
      },
    );
    const order: OrderItem = {
      ...orderKey(orderId),
      entity: 'ORDER',
      orderId,
      customerId: input.request.customerId,
      status: 'PENDING',
      lines: priced.lines,
      total: priced.total,
      payment: input.request.payment,
      correlationId: event.correlationId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
      history: initialHistory(now),
    };
    const location = `/orders/${orderId}`;
    const body = JSON.stringify(orderView(order));
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const record: IdempotencyItem = {
      ...idempotencyKey(input.idempotencyKey),
      entity: 'IDEMPOTENCY',
      requestHash: hash,
      orderId,
      statusCode: 202,
      responseBody: body,
      location,
      createdAt: now.toISOString(),
      expiresAt: nowSeconds + IDEMPOTENCY_TTL_SECONDS,
    };

    try {
      await deps.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: deps.ordersTable,
                Item: record,
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
                ExpressionAttributeValues: { ':now': nowSeconds },
              },
            },
            {
              Put: {
                TableName: deps.ordersTable,
                Item: order,
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            outboxPut(deps.ordersTable, event),
          ],
        }),
      );
      return { replayed: false, statusCode: 202, body, location, orderId };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
      if (codes[0] === 'ConditionalCheckFailed') {
        const existing = await readRecord(deps, input.idempotencyKey);
        if (existing) return replay(existing, hash, input.idempotencyKey);
        // The record expired and vanished between the write and the read: try again as new.
      } else if (!codes.includes('TransactionConflict')) {
        throw error;
      }
      if (attempt >= MAX_CONFLICT_RETRIES) {
        throw new HttpError(
          409,
          'REQUEST_IN_PROGRESS',
          'Another request with this Idempotency-Key is in progress',
          {
            headers: { 'retry-after': '1' },
            cause: error,
          },
        );
      }
      await backoff(attempt);
    }
  }
}

async function readRecord(deps: CreateOrderDeps, key: string): Promise<IdempotencyItem | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({ TableName: deps.ordersTable, Key: idempotencyKey(key), ConsistentRead: true }),
  );
  return Item as IdempotencyItem | undefined;
}

function replay(record: IdempotencyItem, hash: string, key: string): CreateOrderOutcome {
  if (record.requestHash !== hash) {
    throw new HttpError(
      409,
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request body',
      {
        details: [
          { path: 'headers.idempotency-key', message: `use a new key for a different order (key "${key}")` },
        ],
      },
    );
  }
  return {
    replayed: true,
    statusCode: record.statusCode,
    body: record.responseBody,
    location: record.location,
    orderId: record.orderId,
  };
}
