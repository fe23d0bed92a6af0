import '#test/unit/setup-env';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as getProfile } from '#functions/customers/handlers/get-profile';
import { handler as setStatus } from '#functions/customers/handlers/set-status';
import { handler as updateProfile } from '#functions/customers/handlers/update-profile';
import type { ProfileItem } from '#functions/customers/model';
import {
  ADMIN_CALLER,
  apiGatewayEvent,
  CUSTOMER_SUB,
  callerContext,
  lambdaContext,
} from '#test/helpers/fixtures';
import { TEST_ENV } from '#test/unit/setup-env';

const ddb = mockClient(DynamoDBDocumentClient);
const REQUEST_ID = 'd2b4c1f0-7b61-11e6-9a41-93e8deadbeef';

const PROFILE: ProfileItem = {
  customerId: CUSTOMER_SUB,
  entity: 'CUSTOMER',
  name: 'Alice',
  email: 'customer@example.com',
  notifications: { email: true, sms: false },
  status: 'ACTIVE',
  createdAt: '2025-03-01T11:00:00.000Z',
  updatedAt: '2025-03-01T11:00:00.000Z',
  version: 1,
};

const VALID = {
  name: 'Alice Liddell',
  email: 'alice@example.com',
  phone: '+15555550123',
  notifications: { email: true, sms: true },
};

const putMe = (body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  apiGatewayEvent('PUT /me', {
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const bodyOf = (result: APIGatewayProxyResult) => JSON.parse(result.body);

function expectNoWrites() {
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
}

describe('Handler: get-profile', () => {
  beforeEach(() => {
    ddb.reset();
  });

  it('returns 200 with the stored profile', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: PROFILE });

    // Act
    const result = await getProfile(apiGatewayEvent('GET /me'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      customerId: CUSTOMER_SUB,
      name: 'Alice',
      email: 'customer@example.com',
      notifications: { email: true, sms: false },
      status: 'ACTIVE',
      createdAt: PROFILE.createdAt,
      updatedAt: PROFILE.updatedAt,
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TEST_ENV.customersTable,
      Key: { customerId: CUSTOMER_SUB },
      ConsistentRead: true,
    });
    expectNoWrites();
  });

  it("creates the profile on the first call from the token's email", async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});

    // Act
    const result = await getProfile(apiGatewayEvent('GET /me'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({
      customerId: CUSTOMER_SUB,
      name: 'customer',
      email: 'customer@example.com',
      notifications: { email: true, sms: false },
      status: 'ACTIVE',
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(TEST_ENV.customersTable);
    expect(put?.ConditionExpression).toBe('attribute_not_exists(customerId)');
    expect(put?.Item).toMatchObject({ customerId: CUSTOMER_SUB, status: 'ACTIVE', version: 1 });
  });

  it('returns 401 without a signed-in caller, and reads nothing', async () => {
    // Act
    const result = await getProfile(apiGatewayEvent('GET /me', callerContext(null)), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result).error.code).toBe('UNAUTHORIZED');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('returns 500 without internal details when the table fails', async () => {
    // Prepare
    ddb.on(GetCommand).rejects(new Error(`ResourceNotFoundException: ${TEST_ENV.customersTable}`));

    // Act
    const result = await getProfile(apiGatewayEvent('GET /me'), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result).error).toMatchObject({ code: 'INTERNAL_ERROR', requestId: REQUEST_ID });
    expect(result.body).not.toContain(TEST_ENV.customersTable);
  });
});

describe('Handler: update-profile', () => {
  beforeEach(() => {
    ddb.reset();
    ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
      Attributes: {
        ...PROFILE,
        name: input.ExpressionAttributeValues[':name'],
        email: input.ExpressionAttributeValues[':email'],
        phone: input.ExpressionAttributeValues[':phone'],
        notifications: input.ExpressionAttributeValues[':notifications'],
        updatedAt: input.ExpressionAttributeValues[':now'],
        version: 2,
      },
    }));
  });

  it("returns 200 with the profile after the change, written under the caller's id", async () => {
    // Act
    const result = await updateProfile(putMe(VALID), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ customerId: CUSTOMER_SUB, ...VALID, status: 'ACTIVE' });
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.TableName).toBe(TEST_ENV.customersTable);
    expect(update?.Key).toEqual({ customerId: CUSTOMER_SUB });
    expect(update?.UpdateExpression).toContain('#status = if_not_exists(#status, :active)');
  });

  it.each([
    ['an unknown field', { ...VALID, nickname: 'al' }, 'nickname'],
    ['a bad email', { ...VALID, email: 'alice-at-example' }, 'email'],
    ['a status change', { ...VALID, status: 'ACTIVE' }, 'status'],
    ['a customer id', { ...VALID, customerId: 'someone-else' }, 'customerId'],
    ['SMS without a phone', { ...VALID, phone: undefined }, 'notifications.sms'],
  ])('returns 400 VALIDATION_FAILED for %s, naming the field, and writes nothing', async (_, body, path) => {
    // Act
    const result = await updateProfile(putMe(body), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'The profile is invalid',
      details: [expect.objectContaining({ path })],
      requestId: REQUEST_ID,
    });
    expectNoWrites();
  });

  it.each([
    ['malformed JSON', putMe('{"name":'), 400, 'MALFORMED_JSON'],
    ['another media type', putMe(VALID, { 'Content-Type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 4 KiB', putMe({ ...VALID, name: 'x'.repeat(5000) }), 413, 'PAYLOAD_TOO_LARGE'],
  ])('refuses %s with its status, and writes nothing', async (_, event, status, code) => {
    // Act
    const result = await updateProfile(event, lambdaContext());

    // Assess
    expect(result.statusCode).toBe(status);
    expect(bodyOf(result).error.code).toBe(code);
    expectNoWrites();
  });

  it('returns 401 without a signed-in caller, and writes nothing', async () => {
    // Prepare
    const event = {
      ...putMe(VALID),
      ...apiGatewayEvent('PUT /me', callerContext(null)),
      body: JSON.stringify(VALID),
    };

    // Act
    const result = await updateProfile(event, lambdaContext());

    // Assess
    expect(result.statusCode).toBe(401);
    expectNoWrites();
  });
});

describe('Handler: set-status (back office)', () => {
  const putStatus = (body: unknown, overrides: Parameters<typeof apiGatewayEvent>[1] = {}) =>
    apiGatewayEvent('PUT /admin/customers/{customerId}/status', {
      ...callerContext(ADMIN_CALLER),
      pathParameters: { customerId: CUSTOMER_SUB },
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      ...overrides,
    });

  beforeEach(() => {
    ddb.reset();
    ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
      Attributes: {
        ...PROFILE,
        status: input.ExpressionAttributeValues[':status'],
        statusChangedBy: input.ExpressionAttributeValues[':by'],
        statusChangedAt: input.ExpressionAttributeValues[':now'],
        version: 2,
      },
    }));
  });

  it('suspends an existing profile with one conditional UpdateItem that records the admin', async () => {
    // Act
    const result = await setStatus(putStatus({ status: 'SUSPENDED' }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ customerId: CUSTOMER_SUB, status: 'SUSPENDED' });
    expect(bodyOf(result)).not.toHaveProperty('statusChangedBy');
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update).toMatchObject({
      TableName: TEST_ENV.customersTable,
      Key: { customerId: CUSTOMER_SUB },
      UpdateExpression:
        'SET #status = :status, statusChangedBy = :by, statusChangedAt = :now, updatedAt = :now, version = version + :one',
      ConditionExpression: 'attribute_exists(customerId)',
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'SUSPENDED', ':by': 'ops-admin' }),
    });
  });

  it('answers 404 for a customer without a profile, whose condition failed', async () => {
    // Prepare
    ddb
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    // Act
    const result = await setStatus(putStatus({ status: 'SUSPENDED' }), lambdaContext());

    // Assess
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result).error.code).toBe('NOT_FOUND');
  });

  it('answers 403 to a customer, and writes nothing', async () => {
    // Act
    const result = await setStatus(
      putStatus({ status: 'ACTIVE' }, callerContext({ sub: CUSTOMER_SUB })),
      lambdaContext(),
    );

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result).error.code).toBe('FORBIDDEN');
    expectNoWrites();
  });

  it.each([
    ['an unknown status', putStatus({ status: 'BANNED' }), 'VALIDATION_FAILED'],
    ['another field', putStatus({ status: 'ACTIVE', name: 'x' }), 'VALIDATION_FAILED'],
    [
      'a malformed customer id',
      putStatus({ status: 'ACTIVE' }, { pathParameters: { customerId: 'a b' } }),
      'INVALID_CUSTOMER_ID',
    ],
  ])('answers 400 to %s, and writes nothing', async (_, event, code) => {
    // Act
    const result = await setStatus(event, lambdaContext());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error.code).toBe(code);
    expectNoWrites();
  });
});
