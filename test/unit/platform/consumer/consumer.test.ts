import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConsumer, type EventHandlers, RetryableConsumerError } from '#platform/consumer/consumer';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { PermanentError, RetryableError } from '#platform/errors';
import { lambdaContext, mskEvent } from '#test/helpers/msk';
import { sample, withValue } from '#test/unit/events/helpers';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const DEAD_LETTERS = 'dead-letters';
const IDEMPOTENCY = 'idempotency';

const ddb = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);

let ids = 0;
function consumerWith(handlers: EventHandlers, maxAttempts = 3) {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  return createConsumer({
    service: 'orders',
    handlers,
    deadLetters: new DeadLetterStore(
      DynamoDBDocumentClient.from(client),
      DEAD_LETTERS,
      () => `01JN8S7QWWHQQKNETG34RA0${String(ids++).padStart(3, '0')}`,
    ),
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: IDEMPOTENCY, awsSdkV3Client: client }),
    maxAttempts,
    clock: () => NOW,
  });
}

/** A handler error that retrying cannot fix. */
class OrderBroken extends PermanentError {
  readonly code = 'ORDER_BROKEN';
}

/** A handler error that a later attempt may not meet. */
class OrderNotReady extends RetryableError {
  readonly code = 'ORDER_NOT_READY';
}

const stockReserved = sample('StockReserved');
const paymentFailed = sample('PaymentFailed');

describe('Function: createConsumer', () => {
  beforeEach(() => {
    ids = 0;
    ddb.reset();
    doc.reset();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs the handler of a valid event inside an idempotency record keyed on its eventId', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const consume = consumerWith({ StockReserved: handler });

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 5, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith(stockReserved, {
      now: NOW,
      record: { topic: 'inventory.events', partition: 0, offset: '5', key: 'order-1', headers: {} },
    });
    const [inProgress] = ddb.commandCalls(PutItemCommand);
    expect(inProgress?.args[0].input).toMatchObject({
      TableName: IDEMPOTENCY,
      Item: { status: { S: 'INPROGRESS' } },
    });
    expect(inProgress?.args[0].input.Item?.id?.S).toMatch(/^order-saga-orders#/);
    const [completed] = ddb.commandCalls(UpdateItemCommand);
    expect(completed?.args[0].input.ExpressionAttributeValues?.[':status']).toEqual({ S: 'COMPLETED' });
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('skips an event whose idempotency record is already COMPLETED', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const consume = consumerWith({ StockReserved: handler });
    ddb.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
        Item: marshall({
          id: 'order-saga-orders#x',
          status: 'COMPLETED',
          expiration: Math.floor(Date.now() / 1000) + 3600,
          data: JSON.stringify({ eventId: stockReserved.eventId }),
        }),
      }),
    );

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 5, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(handler).not.toHaveBeenCalled();
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('dead-letters a record that is not JSON and processes the next record of the partition', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const consume = consumerWith({ StockReserved: handler });

    // Act
    await consume(
      mskEvent([
        { topic: 'inventory.events', offset: 1, key: 'o-9', value: 'not json{' },
        { topic: 'inventory.events', offset: 2, value: stockReserved },
      ]),
      lambdaContext(),
    );

    // Assess
    const [put] = doc.commandCalls(PutCommand);
    expect(put?.args[0].input).toMatchObject({
      TableName: DEAD_LETTERS,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: 'DEADLETTER#01JN8S7QWWHQQKNETG34RA0000',
        sk: 'DEADLETTER',
        entity: 'DEADLETTER',
        service: 'orders',
        topic: 'inventory.events',
        partition: 0,
        offset: '1',
        key: 'o-9',
        rawValue: 'not json{',
        errorKind: 'NOT_JSON',
        attempts: 1,
        status: 'OPEN',
        createdAt: NOW.toISOString(),
        expiresAt: Math.floor(NOW.getTime() / 1000) + 30 * 24 * 3600,
      },
    });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('dead-letters an invalid payload with its issues, eventId and eventType', async () => {
    // Prepare
    const consume = consumerWith({ StockReserved: vi.fn(async () => undefined) });
    const invalid = withValue(stockReserved, ['payload', 'lines', 0, 'quantity'], 0);

    // Act
    await consume(mskEvent([{ topic: 'inventory.events', offset: 3, value: invalid }]), lambdaContext());

    // Assess
    const item = doc.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject({
      errorKind: 'INVALID_PAYLOAD',
      eventId: stockReserved.eventId,
      eventType: 'StockReserved',
      issues: [expect.objectContaining({ path: 'payload.lines.0.quantity' })],
    });
  });

  it('skips an event type the service has no handler for without writing anything', async () => {
    // Prepare
    const consume = consumerWith({ PaymentSucceeded: vi.fn(async () => undefined) });

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(ddb.calls()).toHaveLength(0);
    expect(doc.calls()).toHaveLength(0);
  });

  it('counts a failed attempt and fails the invocation while attempts remain', async () => {
    // Prepare
    const failure = new Error('order not there yet');
    const consume = consumerWith({ StockReserved: vi.fn(async () => Promise.reject(failure)) });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 2 } });

    // Act
    const run = consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).rejects.toBeInstanceOf(RetryableConsumerError);
    await expect(run).rejects.toMatchObject({ cause: failure });
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: DEAD_LETTERS,
      Key: { pk: `ATTEMPTS#orders#${stockReserved.eventId}`, sk: 'ATTEMPTS' },
      UpdateExpression: 'ADD attempts :one SET entity = :entity, expiresAt = :expiresAt',
      ExpressionAttributeValues: {
        ':one': 1,
        ':entity': 'ATTEMPTS',
        ':expiresAt': Math.floor(NOW.getTime() / 1000) + 7 * 24 * 3600,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(1);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('dead-letters an event on its last attempt and moves on to the next record', async () => {
    // Prepare
    const reserved = vi.fn(async () => Promise.reject(new Error('boom')));
    const failed = vi.fn(async () => undefined);
    const consume = consumerWith({ StockReserved: reserved, PaymentFailed: failed });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 3 } });

    // Act
    await consume(
      mskEvent([
        { topic: 'inventory.events', offset: 3, value: stockReserved },
        { topic: 'inventory.events', offset: 4, value: paymentFailed },
      ]),
      lambdaContext(),
    );

    // Assess
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      errorKind: 'HANDLER_FAILED',
      errorMessage: 'boom',
      attempts: 3,
      eventId: stockReserved.eventId,
      eventType: 'StockReserved',
      aggregateId: stockReserved.aggregateId,
      rawValue: JSON.stringify(stockReserved),
    });
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('dead-letters at once, without counting an attempt, an event whose handler rejects it for good', async () => {
    // Prepare
    const rejected = vi.fn(async () => Promise.reject(new OrderBroken('reserved without a reservation id')));
    const failed = vi.fn(async () => undefined);
    const consume = consumerWith({ StockReserved: rejected, PaymentFailed: failed }, 5);

    // Act
    const run = consume(
      mskEvent([
        { topic: 'inventory.events', offset: 3, value: stockReserved },
        { topic: 'inventory.events', offset: 4, value: paymentFailed },
      ]),
      lambdaContext(),
    );

    // Assess
    await expect(run).resolves.toBeUndefined();
    expect(rejected).toHaveBeenCalledTimes(1);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(doc.commandCalls(PutCommand)).toHaveLength(1);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: DEAD_LETTERS,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        service: 'orders',
        topic: 'inventory.events',
        offset: '3',
        errorKind: 'HANDLER_REJECTED',
        errorCode: 'ORDER_BROKEN',
        errorMessage: 'reserved without a reservation id',
        attempts: 1,
        eventId: stockReserved.eventId,
        eventType: 'StockReserved',
        aggregateId: stockReserved.aggregateId,
        rawValue: JSON.stringify(stockReserved),
        status: 'OPEN',
      },
    });
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('dead-letters at once, without an errorCode, an SDK error that is not retryable', async () => {
    // Prepare
    const consume = consumerWith({
      StockReserved: vi.fn(async () =>
        Promise.reject(new ConditionalCheckFailedException({ message: 'condition failed', $metadata: {} })),
      ),
    });

    // Act
    const run = consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).resolves.toBeUndefined();
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    const item = doc.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject({
      errorKind: 'HANDLER_REJECTED',
      attempts: 1,
      errorMessage: 'condition failed',
    });
    expect(item).not.toHaveProperty('errorCode');
  });

  it('counts the attempts of a retryable handler error and fails the invocation while attempts remain', async () => {
    // Prepare
    const failure = new OrderNotReady('stock reservation not recorded yet');
    const consume = consumerWith({ StockReserved: vi.fn(async () => Promise.reject(failure)) });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 2 } });

    // Act
    const run = consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).rejects.toBeInstanceOf(RetryableConsumerError);
    await expect(run).rejects.toMatchObject({ cause: failure, code: 'CONSUMER_RETRY', retryable: true });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({
      pk: `ATTEMPTS#orders#${stockReserved.eventId}`,
      sk: 'ATTEMPTS',
    });
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('retries, rather than dead-letters, an event whose handler hit a DynamoDB throttle', async () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({
      message: 'The level of configured provisioned throughput for the table was exceeded',
      $metadata: {},
    });
    const consume = consumerWith({ StockReserved: vi.fn(async () => Promise.reject(throttled)) });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });

    // Act
    const run = consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).rejects.toBeInstanceOf(RetryableConsumerError);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('dead-letters a retryable handler error as HANDLER_FAILED with its errorCode on the last attempt', async () => {
    // Prepare
    const consume = consumerWith({
      StockReserved: vi.fn(async () => Promise.reject(new OrderNotReady('still not ready'))),
    });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 3 } });

    // Act
    const run = consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).resolves.toBeUndefined();
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(doc.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      errorKind: 'HANDLER_FAILED',
      errorCode: 'ORDER_NOT_READY',
      errorMessage: 'still not ready',
      attempts: 3,
    });
  });

  it('fails the invocation without counting an attempt when the idempotency store fails', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const consume = consumerWith({ StockReserved: handler });
    ddb.on(PutItemCommand).rejects(new Error('throttled'));

    // Act
    const run = consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    await expect(run).rejects.toBeInstanceOf(RetryableConsumerError);
    expect(handler).not.toHaveBeenCalled();
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('processes records of one partition in offset order', async () => {
    // Prepare
    const seen: string[] = [];
    const consume = consumerWith({
      StockReserved: async (_event, ctx) => {
        seen.push(ctx.record.offset);
      },
    });
    const second = { ...stockReserved, eventId: '01JN8S7QWWHQQKNETG34RA04PT' };

    // Act
    await consume(
      mskEvent([
        { topic: 'inventory.events', offset: 11, value: second },
        { topic: 'inventory.events', offset: 10, value: stockReserved },
      ]),
      lambdaContext(),
    );

    // Assess
    expect(seen).toEqual(['10', '11']);
  });

  it('rejects a maximum of attempts below one', () => {
    // Prepare
    const build = () => consumerWith({}, 0);

    // Act / Assess
    expect(build).toThrow(RangeError);
  });
});
