import '#test/unit/setup-env';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockTrackingNumber } from '#functions/shipping/carrier';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { latestSample } from '#test/unit/events/helpers';

vi.hoisted(() => {
  Object.assign(process.env, {
    SHIPPING_TABLE_NAME: 'shipping-test',
    DEAD_LETTER_TABLE_NAME: 'dead-letters-test',
  });
});

const { handler } = await import('#functions/shipping/handlers/consumer');

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const orderConfirmed = latestSample('OrderConfirmed');
const orderCancelled = latestSample('OrderCancelled');
const SHIPMENT_ID = `shp-${orderConfirmed.payload.orderId}`;

describe('Handler: shipping consumer', () => {
  beforeEach(() => {
    ddb.reset();
    doc.reset();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    doc.on(GetCommand).resolves({});
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
  });

  it('books the parcel of an OrderConfirmed and puts the shipment carrying ShipmentCreated, once', async () => {
    // Prepare
    const event = mskEvent([{ topic: 'orders.events', offset: 1, value: orderConfirmed }]);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const [write] = doc.commandCalls(PutCommand);
    expect(write?.args[0].input).toMatchObject({
      TableName: 'shipping-test',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `SHIPMENT#${SHIPMENT_ID}`,
        status: 'CREATED',
        trackingNumber: mockTrackingNumber(SHIPMENT_ID),
        outbox: [expect.objectContaining({ eventType: 'ShipmentCreated', topic: 'shipping.events' })],
      },
    });
  });

  it('leaves a tombstone for an OrderCancelled of an order without a shipment', async () => {
    // Prepare
    const cancelled = {
      ...orderCancelled,
      aggregateId: orderConfirmed.aggregateId,
      payload: { ...orderCancelled.payload, orderId: orderConfirmed.payload.orderId },
    };
    const event = mskEvent([{ topic: 'orders.events', offset: 2, value: cancelled }]);

    // Act
    const result = await handler(event, lambdaContext());

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: `SHIPMENT#${SHIPMENT_ID}`,
      status: 'CANCELLED',
    });
  });
});
