import '#test/unit/setup-env';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/orders/handlers/reconciler';
import type { OrderItem } from '#functions/orders/model';
import { logger } from '#platform/powertools';
import { CUSTOMER_SUB, lambdaContext } from '#test/helpers/fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const ORDER_ID = '01JN8S7QG0BBBBBBBBBBBBBBBB';
const CORRELATION_ID = '01JN8S7QG07VXVQKXB80JART8S';

/** An order placed long ago that never got past its stock reservation. */
const stuck: OrderItem = {
  pk: `ORDER#${ORDER_ID}`,
  sk: 'ORDER',
  entity: 'ORDER',
  orderId: ORDER_ID,
  customerId: CUSTOMER_SUB,
  status: 'PENDING',
  lines: [
    {
      productId: '11111111-1111-1111-1111-111111111111',
      sellerId: 'seller-peripherals',
      name: 'Wireless Mouse',
      quantity: 1,
      unitPrice: { amountMinor: 2999, currency: 'EUR' },
      lineTotal: { amountMinor: 2999, currency: 'EUR' },
    },
  ],
  total: { amountMinor: 2999, currency: 'EUR' },
  payment: { method: 'card', token: 'tok_ok' },
  correlationId: CORRELATION_ID,
  createdAt: '2020-01-01T00:00:00.000Z',
  updatedAt: '2020-01-01T00:00:00.000Z',
  version: 1,
  openShard: 'OPEN#0',
  history: [{ status: 'PENDING', at: '2020-01-01T00:00:00.000Z', reason: 'Order placed' }],
};

describe('Handler: order reconciler', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':shard': 'OPEN#0' } }).resolves({
      Items: [{ pk: stuck.pk, sk: stuck.sk }],
    });
    ddb.on(GetCommand).resolves({ Item: stuck });
    ddb.on(UpdateCommand).resolves({});
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('times out an order that stopped moving and names its saga on the log line', async () => {
    // Prepare
    const warn = vi.spyOn(logger, 'warn');

    // Act
    const outcome = await handler({}, lambdaContext());

    // Assess
    expect(outcome).toEqual({ checked: 1, timedOut: [ORDER_ID], correlationIds: [CORRELATION_ID] });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: stuck.pk, sk: 'ORDER' },
      ConditionExpression: '#status = :from AND version = :version',
      ExpressionAttributeValues: expect.objectContaining({ ':from': 'PENDING', ':to': 'CANCELLED' }),
    });
    expect(warn).toHaveBeenCalledWith(
      'orders timed out',
      expect.objectContaining({ correlationIds: [CORRELATION_ID] }),
    );
  });

  it('writes and logs nothing when no order is overdue', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });
    const warn = vi.spyOn(logger, 'warn');

    // Act
    const outcome = await handler({}, lambdaContext());

    // Assess
    expect(outcome).toEqual({ checked: 0, timedOut: [], correlationIds: [] });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(warn).not.toHaveBeenCalled();
  });
});
