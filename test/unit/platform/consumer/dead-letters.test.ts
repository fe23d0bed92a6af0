import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '#events';
import { listDeadLetters, redriveDeadLetter } from '#functions/admin/dead-letters-api';
import { type DeadLetterItem, DeadLetterStore, deadLetterUnparseable } from '#platform/consumer/dead-letters';
import { HttpError } from '#platform/errors';
import { sample, withValue } from '#test/unit/events/helpers';

const NOW = new Date('2025-03-02T08:00:00.000Z');
const TABLE = 'dead-letters';
const ID = '01JN8S7QWWHQQKNETG34RA0AAA';
const NEW_ID = '01JNB0000000000000000000RR';

const doc = mockClient(DynamoDBDocumentClient);
const store = () =>
  new DeadLetterStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    TABLE,
    () => NEW_ID,
  );

function letter(overrides: Partial<DeadLetterItem> = {}): DeadLetterItem {
  return {
    pk: `DEADLETTER#${ID}`,
    sk: 'DEADLETTER',
    entity: 'DEADLETTER',
    id: ID,
    service: 'orders',
    topic: 'payments.events',
    partition: 2,
    offset: '41',
    key: 'order-7',
    rawValue: '{"eventId":"01JN8S7QWWHQQKNETG34RA04PS"}',
    eventId: '01JN8S7QWWHQQKNETG34RA04PS',
    eventType: 'PaymentSucceeded',
    aggregateId: 'order-7',
    errorKind: 'HANDLER_FAILED',
    errorMessage: 'order not ready',
    attempts: 3,
    createdAt: '2025-03-01T12:00:00.000Z',
    status: 'OPEN',
    expiresAt: 1_743_422_400,
    ...overrides,
  };
}

/** The API Gateway context of a signed-in operator. */
const requestContext = {
  authorizer: { claims: { sub: 'admin-1', email: 'ops@example.com' } },
} as unknown as APIGatewayProxyEvent['requestContext'];

const caught = async (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('Class: DeadLetterStore', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('redrives an open dead letter to the service that failed it: REDRIVEN, parked for that service, due now', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: letter({ headers: { eventId: '01JN8S7QWWHQQKNETG34RA04PS' } }) });
    doc.on(TransactWriteCommand).resolves({});

    // Act
    const outcome = await store().redrive(ID, NOW, 'ops@example.com');

    // Assess
    expect(outcome).toMatchObject({
      outcome: 'REDRIVEN',
      item: { status: 'REDRIVEN', redrivenAt: NOW.toISOString(), redrivenBy: 'ops@example.com' },
    });
    expect(doc.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toEqual([
      {
        Update: {
          TableName: TABLE,
          Key: { pk: `DEADLETTER#${ID}`, sk: 'DEADLETTER' },
          UpdateExpression: 'SET #status = :redriven, redrivenAt = :now, redrivenBy = :by',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':redriven': 'REDRIVEN',
            ':open': 'OPEN',
            ':now': NOW.toISOString(),
            ':by': 'ops@example.com',
          },
        },
      },
      {
        Put: {
          TableName: TABLE,
          Item: {
            pk: 'PARKED#orders#01JN8S7QWWHQQKNETG34RA04PS',
            sk: 'PARKED',
            entity: 'PARKED',
            status: 'PARKED',
            parkedService: 'orders',
            service: 'orders',
            eventId: '01JN8S7QWWHQQKNETG34RA04PS',
            eventType: 'PaymentSucceeded',
            aggregateId: 'order-7',
            topic: 'payments.events',
            partition: 2,
            offset: '41',
            key: 'order-7',
            headers: { eventId: '01JN8S7QWWHQQKNETG34RA04PS' },
            rawValue: '{"eventId":"01JN8S7QWWHQQKNETG34RA04PS"}',
            reason: 'Redriven by ops@example.com',
            parkCount: 0,
            createdAt: NOW.toISOString(),
            retryAt: NOW.toISOString(),
            expiresAt: Math.floor(NOW.getTime() / 1000) + 30 * 24 * 3600,
            redrivenBy: 'ops@example.com',
          },
        },
      },
      {
        Delete: {
          TableName: TABLE,
          Key: { pk: `ATTEMPTS#${letter().service}#01JN8S7QWWHQQKNETG34RA04PS`, sk: 'ATTEMPTS' },
        },
      },
    ]);
  });

  it('reports ALREADY_REDRIVEN when a concurrent redrive won the condition', async () => {
    // Prepare
    doc
      .on(GetCommand)
      .resolvesOnce({ Item: letter() })
      .resolves({ Item: letter({ status: 'REDRIVEN', redrivenAt: NOW.toISOString() }) });
    doc.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );

    // Act
    const outcome = await store().redrive(ID, NOW, 'ops@example.com');

    // Assess
    expect(outcome).toMatchObject({ outcome: 'ALREADY_REDRIVEN' });
  });

  it.each([
    'NOT_JSON',
    'INVALID_ENVELOPE',
    'UNKNOWN_EVENT_TYPE',
    'UNSUPPORTED_VERSION',
    'INVALID_PAYLOAD',
  ] as const)(
    'refuses to redrive a %s dead letter, which would only fail again, and writes nothing',
    async (errorKind) => {
      // Prepare
      doc.on(GetCommand).resolves({ Item: letter({ errorKind, rawValue: 'not json' }) });

      // Act
      const outcome = await store().redrive(ID, NOW, 'ops@example.com');

      // Assess
      expect(outcome).toMatchObject({ outcome: 'NOT_REDRIVABLE' });
      expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
    },
  );

  it('records the reason code of a rejected event', async () => {
    // Prepare
    doc.on(PutCommand).resolves({});
    const record = { topic: 'payments.events', partition: 2, offset: '41', key: 'order-7', headers: {} };

    // Act
    const item = await store().write(
      {
        service: 'orders',
        record,
        rawValue: '{}',
        eventId: '01JN8S7QWWHQQKNETG34RA04PS',
        eventType: 'PaymentFailed',
        aggregateId: 'order-7',
        errorKind: 'HANDLER_REJECTED',
        errorMessage: 'Order order-7 is STOCK_RESERVED but has no reservation id',
        errorCode: 'SAGA_INVARIANT_BROKEN',
        attempts: 1,
      },
      NOW,
    );

    // Assess
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      errorKind: 'HANDLER_REJECTED',
      errorCode: 'SAGA_INVARIANT_BROKEN',
      attempts: 1,
    });
    expect(item.errorCode).toBe('SAGA_INVARIANT_BROKEN');
  });
});

describe('Function: redriveDeadLetter', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('rejects a malformed id with 400 and writes nothing', async () => {
    // Prepare
    const event = { pathParameters: { id: 'not-a-ulid' } };

    // Act
    const error = await caught(redriveDeadLetter(store(), { ...event, requestContext }, NOW));

    // Assess
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ statusCode: 400, code: 'INVALID_DEAD_LETTER_ID' });
    expect(doc.calls()).toHaveLength(0);
  });

  it('answers 404 for an unknown dead letter and writes nothing', async () => {
    // Prepare
    doc.on(GetCommand).resolves({});

    // Act
    const error = await caught(
      redriveDeadLetter(store(), { pathParameters: { id: ID }, requestContext }, NOW),
    );

    // Assess
    expect(error).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 409 NOT_REDRIVABLE for a record that is not a valid event, and writes nothing', async () => {
    // Prepare
    doc
      .on(GetCommand)
      .resolves({ Item: letter({ errorKind: 'NOT_JSON', eventId: undefined, rawValue: '%%' }) });

    // Act
    const error = await caught(
      redriveDeadLetter(store(), { pathParameters: { id: ID }, requestContext }, NOW),
    );

    // Assess
    expect(error).toMatchObject({ statusCode: 409, code: 'NOT_REDRIVABLE' });
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('records the signed-in operator as who redrove it', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: letter() });
    doc.on(TransactWriteCommand).resolves({});

    // Act
    const view = await redriveDeadLetter(store(), { pathParameters: { id: ID }, requestContext }, NOW);

    // Assess
    expect(view).toMatchObject({ status: 'REDRIVEN', redrivenBy: 'ops@example.com (admin-1)' });
  });

  it('answers 409 for a dead letter that was already redriven and writes nothing', async () => {
    // Prepare
    doc.on(GetCommand).resolves({ Item: letter({ status: 'REDRIVEN', redrivenAt: NOW.toISOString() }) });

    // Act
    const error = await caught(
      redriveDeadLetter(store(), { pathParameters: { id: ID }, requestContext }, NOW),
    );

    // Assess
    expect(error).toMatchObject({ statusCode: 409, code: 'ALREADY_REDRIVEN' });
    expect(doc.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('Function: listDeadLetters', () => {
  beforeEach(() => {
    doc.reset();
  });

  it('queries the byStatus index newest first and returns a cursor for the next page', async () => {
    // Prepare
    const lastKey = {
      pk: `DEADLETTER#${ID}`,
      sk: 'DEADLETTER',
      status: 'OPEN',
      createdAt: '2025-03-01T12:00:00.000Z',
    };
    doc.on(QueryCommand).resolves({ Items: [letter()], LastEvaluatedKey: lastKey });

    // Act
    const page = await listDeadLetters(store(), { queryStringParameters: { limit: '1' } });

    // Assess
    expect(doc.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      IndexName: 'byStatus',
      KeyConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': 'OPEN' },
      ScanIndexForward: false,
      Limit: 1,
    });
    expect(page.items).toEqual([
      expect.objectContaining({ id: ID, status: 'OPEN', errorKind: 'HANDLER_FAILED' }),
    ]);
    expect(page.nextCursor).not.toBeNull();
    const next = await listDeadLetters(store(), {
      queryStringParameters: { limit: '1', cursor: page.nextCursor ?? '' },
    });
    expect(next.items).toHaveLength(1);
    expect(doc.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual(lastKey);
  });

  it.each([
    [{ status: 'CLOSED' }, 'query.status'],
    [{ limit: '0' }, 'query.limit'],
    [{ limit: '101' }, 'query.limit'],
    [{ limit: 'ten' }, 'query.limit'],
    [{ cursor: 'garbage' }, 'query.cursor'],
    [
      {
        status: 'REDRIVEN',
        cursor: Buffer.from(
          JSON.stringify({ pk: `DEADLETTER#${ID}`, sk: 'DEADLETTER', status: 'OPEN', createdAt: 'x' }),
        ).toString('base64url'),
      },
      'query.cursor',
    ],
  ])('rejects the query %o with 400 naming %s, without reading', async (query, path) => {
    // Prepare
    const event = { queryStringParameters: query };

    // Act
    const error = await caught(listDeadLetters(store(), event));

    // Assess
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'INVALID_QUERY',
      details: [expect.objectContaining({ path })],
    });
    expect(doc.calls()).toHaveLength(0);
  });
});

describe('Function: deadLetterUnparseable', () => {
  beforeEach(() => {
    doc.reset();
    doc.on(PutCommand).resolves({});
  });

  it('stores a record that is not a valid event as an OPEN dead letter of the service, with its issues', async () => {
    // Prepare
    const reserved = sample('StockReserved');
    const value = JSON.stringify(withValue(reserved, ['payload', 'lines', 0, 'quantity'], 0));
    const parsed = parseEvent(value);
    if (parsed.ok) throw new Error('the fixture must not parse');
    const record = { topic: 'inventory.events', partition: 3, offset: '17', key: 'order-7', headers: {} };

    // Act
    const letter = await deadLetterUnparseable(store(), 'analytics', { record, value }, parsed.error, NOW);

    // Assess
    const put = doc.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ TableName: TABLE, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(put?.Item).toEqual(letter);
    expect(letter).toMatchObject({
      pk: `DEADLETTER#${NEW_ID}`,
      service: 'analytics',
      topic: 'inventory.events',
      partition: 3,
      offset: '17',
      key: 'order-7',
      rawValue: value,
      eventId: reserved.eventId,
      eventType: 'StockReserved',
      errorKind: 'INVALID_PAYLOAD',
      issues: [expect.objectContaining({ path: 'payload.lines.0.quantity' })],
      attempts: 1,
      status: 'OPEN',
      createdAt: NOW.toISOString(),
    });
    expect(letter).not.toHaveProperty('errorCode');
  });
});
