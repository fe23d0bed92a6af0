import '#test/unit/setup-env';
import './env';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '#functions/mock-psp/handlers/release-payment';
import { lambdaContext, loadFixture } from '#test/helpers/fixtures';

const ddb = mockClient(DynamoDBDocumentClient);

const releaseEvent = (action: string, paymentId: string | undefined) =>
  loadFixture<APIGatewayProxyEvent>('api-gateway-get-product.json', {
    httpMethod: 'POST',
    resource: `/psp/payments/{paymentId}/${action}`,
    path: `/psp/payments/${paymentId}/${action}`,
    pathParameters: paymentId === undefined ? null : { paymentId },
  });

const pending = {
  paymentId: 'pay-1',
  calls: 1,
  status: 'PENDING',
  token: 'tok_pending',
  amount: { amountMinor: 500, currency: 'EUR' },
  pspReference: 'psp_1',
};

describe('Handler: release-payment', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('voids a pending payment on POST .../void and answers its released state', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: pending });
    ddb.on(UpdateCommand).resolves({});

    // Act
    const result = await handler(releaseEvent('void', 'pay-1'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ paymentId: 'pay-1', status: 'VOIDED' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'psp-test',
      Key: { paymentId: 'pay-1' },
      ConditionExpression: '#status = :from',
      ExpressionAttributeValues: { ':from': 'PENDING', ':to': 'VOIDED' },
    });
  });

  it('refunds on POST .../refund and answers 409 for a payment that is not captured', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: pending });

    // Act
    const result = await handler(releaseEvent('refund', 'pay-1'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'NOT_CAPTURED', message: 'The payment is not captured: void it instead' },
    });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it.each([
    ['a missing paymentId', undefined],
    ['an empty paymentId', ''],
    ['a paymentId over 128 characters', 'p'.repeat(129)],
  ])('answers 400 INVALID_PAYMENT_ID for %s and writes nothing', async (_, paymentId) => {
    // Act
    const result = await handler(releaseEvent('void', paymentId), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({ code: 'INVALID_PAYMENT_ID' });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 400 UNKNOWN_ACTION for a route that names no release and writes nothing', async () => {
    // Act
    const result = await handler(releaseEvent('capture', 'pay-1'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({ code: 'UNKNOWN_ACTION' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
