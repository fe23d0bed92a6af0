import '#test/unit/setup-env';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockTrackingNumber } from '#functions/shipping/carrier';
import type { ShipmentItem } from '#functions/shipping/model';
import { signWebhook } from '#functions/shipping/signature';
import { lambdaContext } from '#test/helpers/fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:carrier-webhook-AbCdEf';
const SECRET = 'whsec-carrier-0123456789';
const ORDER_ID = '01JN8S7QG0AAAAAAAAAAAAAAAA';
const SHIPMENT_ID = `shp-${ORDER_ID}`;
const TRACKING = mockTrackingNumber(SHIPMENT_ID);
const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

let handler: typeof import('#functions/shipping/handlers/carrier-webhook')['handler'];

const shipment = (status: ShipmentItem['status'], version = 1): ShipmentItem => ({
  pk: `SHIPMENT#${SHIPMENT_ID}`,
  sk: 'SHIPMENT',
  entity: 'SHIPMENT',
  shipmentId: SHIPMENT_ID,
  orderId: ORDER_ID,
  status,
  version,
  carrier: 'mock-carrier',
  trackingNumber: TRACKING,
  recipient: { customerId: 'customer-1', notifications: { email: true, sms: false } },
  correlationId: '01JN8S7QG07VXVQKXB80JART8R',
  createdAt: '2025-03-01T12:00:00.000Z',
  updatedAt: '2025-03-01T12:00:00.000Z',
});

const report = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventId: 'evt-1',
    shipmentId: SHIPMENT_ID,
    trackingNumber: TRACKING,
    status: 'PICKED_UP',
    occurredAt: '2025-03-01T15:00:00.000Z',
    ...overrides,
  });

const now = () => Math.floor(Date.now() / 1000);

function webhook(body: string, signature?: string): APIGatewayProxyEvent {
  return {
    resource: '/carrier/webhooks',
    path: '/carrier/webhooks',
    httpMethod: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'x-carrier-signature': signature }),
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', path: '/v1/carrier/webhooks' },
  } as unknown as APIGatewayProxyEvent;
}

describe('Handler: carrier-webhook', () => {
  beforeAll(async () => {
    process.env.SHIPPING_TABLE_NAME = 'shipping-test';
    process.env.CARRIER_WEBHOOK_SECRET = SECRET_ARN;
    ({ handler } = await import('#functions/shipping/handlers/carrier-webhook'));
  });

  beforeEach(() => {
    ddb.reset();
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: SECRET });
  });

  it('applies a signed pickup (200, applied) with OrderShipped on one conditional update', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: shipment('CREATED') });
    ddb.on(UpdateCommand).resolves({});
    const body = report();

    // Act
    const result = await handler(webhook(body, signWebhook(SECRET, body, now())), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ shipmentId: SHIPMENT_ID, status: 'SHIPPED', applied: true });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('answers a replayed report with 200 and writes nothing', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: shipment('SHIPPED', 2) });
    const body = report();

    // Act
    const result = await handler(webhook(body, signWebhook(SECRET, body, now())), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ shipmentId: SHIPMENT_ID, status: 'SHIPPED', applied: false });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it.each([
    ['no signature', () => undefined],
    ['a malformed signature', () => 'sha256=abc'],
    ['a signature with another secret', () => signWebhook('not-the-secret', report(), now())],
    ['a signature of another body', () => signWebhook(SECRET, report({ status: 'DELIVERED' }), now())],
    ['an expired signature (replayed later)', () => signWebhook(SECRET, report(), now() - 3600)],
  ])('refuses %s with 401 and reads or writes no shipment', async (_what, sign) => {
    // Act
    const result = await handler(webhook(report(), sign()), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body).error.code).toBe('INVALID_SIGNATURE');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it.each([
    ['malformed JSON', '{"eventId":', 'MALFORMED_JSON'],
    ['an unknown status', report({ status: 'LOST' }), 'VALIDATION_FAILED'],
    ['a missing shipment id', report({ shipmentId: undefined }), 'VALIDATION_FAILED'],
    ['an unknown field', report({ extra: 1 }), 'VALIDATION_FAILED'],
    ['a timestamp that is not ISO-8601', report({ occurredAt: 'yesterday' }), 'VALIDATION_FAILED'],
  ])('refuses a signed body with %s with 400 %s and writes nothing', async (_what, body, code) => {
    // Act
    const result = await handler(webhook(body, signWebhook(SECRET, body, now())), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error.code).toBe(code);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers an unknown shipment or tracking number with 404 and writes nothing', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: shipment('CREATED') });
    const unknown = report();
    const wrong = report({ trackingNumber: 'MC000000000000' });

    // Act
    const first = await handler(webhook(unknown, signWebhook(SECRET, unknown, now())), lambdaContext());
    const second = await handler(webhook(wrong, signWebhook(SECRET, wrong, now())), lambdaContext());

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([404, 404]);
    expect(JSON.parse(first.body).error.code).toBe('UNKNOWN_SHIPMENT');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
