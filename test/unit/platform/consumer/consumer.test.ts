import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConsumer, type EventHandlers } from '#platform/consumer/consumer';
import { DeadLetterStore } from '#platform/consumer/dead-letters';
import { type ParkedItem, ParkingLot } from '#platform/consumer/parking';
import { PermanentError, RetryableError } from '#platform/errors';
import { logger, tracer } from '#platform/powertools';
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
    parking: new ParkingLot(DynamoDBDocumentClient.from(client), DEAD_LETTERS),
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: IDEMPOTENCY, awsSdkV3Client: client }),
    maxAttempts,
    clock: () => NOW,
  });
}

/**
 * The logger's lines, parsed, from now until the test's mocks are restored. The logger writes one
 * JSON document per line, to the console in dev mode, else to stdout.
 */
function captureLogLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const capture = (text: unknown) => {
    for (const line of String(text).split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  };
  vi.spyOn(console, 'info').mockImplementation(capture);
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  return lines;
}

/** The items the test's consumer put into the dead-letter table, by entity. */
const putItems = (entity: 'DEADLETTER' | 'PARKED') =>
  doc
    .commandCalls(PutCommand)
    .map((call) => call.args[0].input.Item as Record<string, unknown>)
    .filter((item) => item.entity === entity);

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
    const { consume } = consumerWith({ StockReserved: handler });

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
    const { consume } = consumerWith({ StockReserved: handler });
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
    const { consume } = consumerWith({ StockReserved: handler });

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
    const { consume } = consumerWith({ StockReserved: vi.fn(async () => undefined) });
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
    const { consume } = consumerWith({ PaymentSucceeded: vi.fn(async () => undefined) });

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(ddb.calls()).toHaveLength(0);
    expect(doc.calls()).toHaveLength(0);
  });

  it('counts an unknown failure and reports the record for redelivery while attempts remain', async () => {
    // Prepare
    const failure = new Error('order not there yet');
    const { consume } = consumerWith({ StockReserved: vi.fn(async () => Promise.reject(failure)) });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 2 } });

    // Act
    const response = await consume(
      mskEvent([{ topic: 'inventory.events', partition: 2, offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'inventory.events-2', offset: 3 } }],
    });
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: DEAD_LETTERS,
      Key: { pk: `ATTEMPTS#orders#${stockReserved.eventId}`, sk: 'ATTEMPTS' },
      UpdateExpression: 'ADD attempts :one SET entity = :entity, expiresAt = :expiresAt',
      ExpressionAttributeValues: {
        ':one': 1,
        ':entity': 'ATTEMPTS',
        ':expiresAt': Math.floor(NOW.getTime() / 1000) + 31 * 24 * 3600,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(1);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('stops a partition at a record to redeliver and goes on with the other partitions', async () => {
    // Prepare
    const second = { ...stockReserved, eventId: '01JN8S7QWWHQQKNETG34RA04PT' };
    const seen: string[] = [];
    const { consume } = consumerWith({
      StockReserved: async (event, ctx) => {
        seen.push(`${ctx.record.partition}:${ctx.record.offset}`);
        if (event.eventId === stockReserved.eventId) throw new Error('bug');
      },
      PaymentFailed: async (_event, ctx) => {
        seen.push(`${ctx.record.partition}:${ctx.record.offset}`);
      },
    });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });

    // Act
    const response = await consume(
      mskEvent([
        { topic: 'inventory.events', partition: 0, offset: 5, value: stockReserved },
        { topic: 'inventory.events', partition: 0, offset: 6, value: second },
        { topic: 'inventory.events', partition: 1, offset: 9, value: paymentFailed },
      ]),
      lambdaContext(),
    );

    // Assess
    expect(seen).toEqual(['0:5', '1:9']);
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'inventory.events-0', offset: 5 } },
    ]);
  });

  it('dead-letters an event on its last attempt and moves on to the next record', async () => {
    // Prepare
    const reserved = vi.fn(async () => Promise.reject(new Error('boom')));
    const failed = vi.fn(async () => undefined);
    const { consume } = consumerWith({ StockReserved: reserved, PaymentFailed: failed });
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
    const { consume } = consumerWith({ StockReserved: rejected, PaymentFailed: failed }, 5);

    // Act
    const run = consume(
      mskEvent([
        { topic: 'inventory.events', offset: 3, value: stockReserved },
        { topic: 'inventory.events', offset: 4, value: paymentFailed },
      ]),
      lambdaContext(),
    );

    // Assess
    await expect(run).resolves.toEqual({ batchItemFailures: [] });
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
    const { consume } = consumerWith({
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
    await expect(run).resolves.toEqual({ batchItemFailures: [] });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    const item = doc.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).toMatchObject({
      errorKind: 'HANDLER_REJECTED',
      attempts: 1,
      errorMessage: 'condition failed',
    });
    expect(item).not.toHaveProperty('errorCode');
  });

  it('parks an event whose handler hit a transient condition, without an attempt, and goes on', async () => {
    // Prepare
    const failure = new OrderNotReady('stock reservation not recorded yet');
    const failed = vi.fn(async () => undefined);
    const { consume } = consumerWith({
      StockReserved: vi.fn(async () => Promise.reject(failure)),
      PaymentFailed: failed,
    });

    // Act
    const response = await consume(
      mskEvent([
        {
          topic: 'inventory.events',
          offset: 3,
          value: stockReserved,
          headers: { eventId: stockReserved.eventId },
        },
        { topic: 'inventory.events', offset: 4, value: paymentFailed },
      ]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(putItems('DEADLETTER')).toEqual([]);
    expect(putItems('PARKED')).toEqual([
      {
        pk: `PARKED#orders#${stockReserved.eventId}`,
        sk: 'PARKED',
        entity: 'PARKED',
        status: 'PARKED',
        parkedService: 'orders',
        service: 'orders',
        eventId: stockReserved.eventId,
        eventType: 'StockReserved',
        aggregateId: stockReserved.aggregateId,
        topic: 'inventory.events',
        partition: 0,
        offset: '3',
        key: 'order-1',
        headers: { eventId: stockReserved.eventId },
        rawValue: JSON.stringify(stockReserved),
        reason: 'stock reservation not recorded yet',
        errorCode: 'ORDER_NOT_READY',
        parkCount: 1,
        createdAt: NOW.toISOString(),
        retryAt: new Date(NOW.getTime() + 5_000).toISOString(),
        expiresAt: Math.floor(NOW.getTime() / 1000) + 30 * 24 * 3600,
      },
    ]);
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('parks, rather than dead-letters, an event whose handler hit a DynamoDB throttle', async () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({
      message: 'The level of configured provisioned throughput for the table was exceeded',
      $metadata: {},
    });
    const { consume } = consumerWith({ StockReserved: vi.fn(async () => Promise.reject(throttled)) });

    // Act
    const response = await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(putItems('DEADLETTER')).toEqual([]);
    expect(putItems('PARKED')).toHaveLength(1);
  });

  it('never dead-letters a transient failure, however many attempts the event has used', async () => {
    // Prepare
    const { consume } = consumerWith({
      StockReserved: vi.fn(async () => Promise.reject(new OrderNotReady('still not ready'))),
    });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 99 } });

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(putItems('DEADLETTER')).toEqual([]);
    expect(putItems('PARKED')).toEqual([expect.objectContaining({ errorCode: 'ORDER_NOT_READY' })]);
  });

  it('parks an event without counting an attempt when the idempotency store fails', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const { consume } = consumerWith({ StockReserved: handler });
    ddb.on(PutItemCommand).rejects(new Error('throttled'));

    // Act
    const response = await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(putItems('PARKED')).toEqual([expect.objectContaining({ eventId: stockReserved.eventId })]);
  });

  it('parks an event another (or a crashed) invocation holds in progress, without an attempt or a dead letter', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const { consume } = consumerWith({ StockReserved: handler });
    const expiry = NOW.getTime() + 45_000;
    ddb.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
        Item: marshall({
          id: 'order-saga-orders#x',
          status: 'INPROGRESS',
          expiration: Math.floor(Date.now() / 1000) + 3600,
          in_progress_expiration: expiry,
        }),
      }),
    );

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(handler).not.toHaveBeenCalled();
    expect(putItems('DEADLETTER')).toEqual([]);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(putItems('PARKED')).toEqual([
      expect.objectContaining({
        eventId: stockReserved.eventId,
        reason: expect.stringContaining('already an execution in progress'),
        retryAt: new Date(NOW.getTime() + 5_000).toISOString(),
      }),
    ]);
  });

  it('processes records of one partition in offset order', async () => {
    // Prepare
    const seen: string[] = [];
    const { consume } = consumerWith({
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

  it('writes the correlationId of each record on the log lines of its handler, and of no other record', async () => {
    // Prepare
    const lines = captureLogLines();
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    const { consume } = consumerWith({
      StockReserved: async (event) => {
        logger.info('reserving', { offset: event.eventId });
      },
    });
    const first = { ...stockReserved, correlationId: 'saga-a', aggregateId: 'order-a' };
    const second = {
      ...stockReserved,
      eventId: '01JN8S7QWWHQQKNETG34RA04PT',
      correlationId: 'saga-b',
      aggregateId: 'order-b',
    };

    // Act
    try {
      await consume(
        mskEvent([
          { topic: 'inventory.events', offset: 10, value: first },
          { topic: 'inventory.events', offset: 11, value: second },
        ]),
        lambdaContext(),
      );
      logger.info('after the batch');
    } finally {
      logger.setLogLevel(level);
    }

    // Assess
    const byMessage = (message: string) => lines.filter((line) => line.message === message);
    expect(byMessage('reserving')).toEqual([
      expect.objectContaining({
        correlationId: 'saga-a',
        orderId: 'order-a',
        eventId: first.eventId,
        eventType: 'StockReserved',
      }),
      expect.objectContaining({
        correlationId: 'saga-b',
        orderId: 'order-b',
        eventId: second.eventId,
        eventType: 'StockReserved',
      }),
    ]);
    expect(byMessage('event consumed').map((line) => line.correlationId)).toEqual(['saga-a', 'saga-b']);
    const [after] = byMessage('after the batch');
    expect(after).not.toHaveProperty('correlationId');
    expect(after).not.toHaveProperty('orderId');
    expect(after).not.toHaveProperty('eventId');
  });

  it('annotates the trace of each record with its orderId, correlationId and eventType', async () => {
    // Prepare
    const annotate = vi.spyOn(tracer, 'putAnnotation');
    const { consume } = consumerWith({ StockReserved: async () => undefined });
    const traced = {
      ...stockReserved,
      correlationId: 'saga-a',
      aggregateId: 'order-a',
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    };

    // Act
    await consume(mskEvent([{ topic: 'inventory.events', offset: 10, value: traced }]), lambdaContext());

    // Assess
    expect(annotate.mock.calls).toEqual(
      expect.arrayContaining([
        ['orderId', 'order-a'],
        ['correlationId', 'saga-a'],
        ['eventType', 'StockReserved'],
      ]),
    );
  });

  it('rejects a maximum of attempts below one', () => {
    // Prepare
    const build = () => consumerWith({}, 0);

    // Act / Assess
    expect(build).toThrow(RangeError);
  });
});

const parkedItem = (overrides: Partial<ParkedItem> = {}): ParkedItem => ({
  pk: `PARKED#orders#${stockReserved.eventId}`,
  sk: 'PARKED',
  entity: 'PARKED',
  status: 'PARKED',
  parkedService: 'orders',
  service: 'orders',
  eventId: stockReserved.eventId,
  eventType: 'StockReserved',
  aggregateId: stockReserved.aggregateId,
  topic: 'inventory.events',
  partition: 0,
  offset: '3',
  key: 'order-1',
  headers: {},
  rawValue: JSON.stringify(stockReserved),
  reason: 'not ready',
  parkCount: 2,
  createdAt: NOW.toISOString(),
  retryAt: NOW.toISOString(),
  expiresAt: 0,
  ...overrides,
});

describe('Function: createConsumer (parked records)', () => {
  beforeEach(() => {
    ids = 0;
    ddb.reset();
    doc.reset();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    doc.on(PutCommand).resolves({});
    doc.on(DeleteCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
  });

  it('queries the parked records of its service that are due, earliest first', async () => {
    // Prepare
    const { sweepParked } = consumerWith({ StockReserved: vi.fn(async () => undefined) });
    doc.on(QueryCommand).resolves({ Items: [] });

    // Act
    await sweepParked(lambdaContext());

    // Assess
    expect(doc.commandCalls(QueryCommand)[0]?.args[0].input).toEqual({
      TableName: DEAD_LETTERS,
      IndexName: 'parked',
      KeyConditionExpression: 'parkedService = :service AND retryAt <= :now',
      ExpressionAttributeValues: { ':service': 'orders', ':now': NOW.toISOString() },
      Limit: 50,
    });
  });

  it('runs a due record through its handler and releases it when done', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const { sweepParked } = consumerWith({ StockReserved: handler });
    doc.on(QueryCommand).resolves({ Items: [parkedItem()] });

    // Act
    const outcome = await sweepParked(lambdaContext());

    // Assess
    expect(outcome).toEqual({ retried: 1, done: 1, parkedAgain: 0 });
    expect(handler).toHaveBeenCalledWith(stockReserved, expect.objectContaining({ now: NOW }));
    expect(doc.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: DEAD_LETTERS,
      Key: { pk: `PARKED#orders#${stockReserved.eventId}`, sk: 'PARKED' },
      ConditionExpression: 'parkCount = :count',
      ExpressionAttributeValues: { ':count': 2 },
    });
  });

  it('parks a record that fails transiently again, with a doubled wait', async () => {
    // Prepare
    const { sweepParked } = consumerWith({
      StockReserved: vi.fn(async () => Promise.reject(new OrderNotReady('still not ready'))),
    });
    doc.on(QueryCommand).resolves({ Items: [parkedItem({ parkCount: 2 })] });

    // Act
    const outcome = await sweepParked(lambdaContext());

    // Assess
    expect(outcome).toEqual({ retried: 1, done: 0, parkedAgain: 1 });
    expect(putItems('PARKED')).toEqual([
      expect.objectContaining({ parkCount: 3, retryAt: new Date(NOW.getTime() + 20_000).toISOString() }),
    ]);
    expect(doc.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('turns a parked record into a dead letter when unknown failures use up its attempts', async () => {
    // Prepare
    const { sweepParked } = consumerWith({
      StockReserved: vi.fn(async () => Promise.reject(new Error('bug'))),
    });
    doc.on(QueryCommand).resolves({ Items: [parkedItem()] });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 3 } });

    // Act
    const outcome = await sweepParked(lambdaContext());

    // Assess
    expect(outcome).toEqual({ retried: 1, done: 1, parkedAgain: 0 });
    expect(putItems('DEADLETTER')).toEqual([
      expect.objectContaining({ errorKind: 'HANDLER_FAILED', attempts: 3 }),
    ]);
    expect(doc.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('stops before the invocation runs out of time', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const { sweepParked } = consumerWith({ StockReserved: handler });
    doc.on(QueryCommand).resolves({ Items: [parkedItem()] });

    // Act
    const outcome = await sweepParked(lambdaContext(5_000));

    // Assess
    expect(outcome.retried).toBe(0);
    expect(handler).not.toHaveBeenCalled();
  });
});

/** A consumer whose handlers' own conditional writes are its idempotency: no persistence store. */
function handlerIdempotentConsumer(handlers: EventHandlers, maxAttempts = 3) {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  return createConsumer({
    service: 'orders',
    handlers,
    deadLetters: new DeadLetterStore(
      DynamoDBDocumentClient.from(client),
      DEAD_LETTERS,
      () => `01JN8S7QWWHQQKNETG34RA0${String(ids++).padStart(3, '0')}`,
    ),
    parking: new ParkingLot(DynamoDBDocumentClient.from(client), DEAD_LETTERS),
    maxAttempts,
    clock: () => NOW,
  });
}

/**
 * A handler that applies each event at most once the way a conditional write does: a second run for
 * an event already applied changes nothing and returns normally.
 */
function conditionalHandler() {
  const applied: string[] = [];
  const handler = vi.fn(async (event: { eventId: string }) => {
    if (applied.includes(event.eventId)) return;
    applied.push(event.eventId);
  });
  return { handler, applied };
}

describe('Function: createConsumer (idempotency by the handler)', () => {
  beforeEach(() => {
    ids = 0;
    ddb.reset();
    doc.reset();
    ddb.on(PutItemCommand).rejects(new Error('no idempotency record is expected'));
    ddb.on(UpdateItemCommand).rejects(new Error('no idempotency record is expected'));
    doc.on(PutCommand).resolves({});
    doc.on(DeleteCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs the handler of a valid event directly when it has no persistence store', async () => {
    // Prepare
    const handler = vi.fn(async () => undefined);
    const { consume } = handlerIdempotentConsumer({ StockReserved: handler });

    // Act
    const response = await consume(
      mskEvent([{ topic: 'inventory.events', offset: 5, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledWith(stockReserved, {
      now: NOW,
      record: { topic: 'inventory.events', partition: 0, offset: '5', key: 'order-1', headers: {} },
    });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('runs the handler again for a duplicate delivery, whose own conditional write then changes nothing', async () => {
    // Prepare
    const { handler, applied } = conditionalHandler();
    const { consume } = handlerIdempotentConsumer({ StockReserved: handler });
    const delivery = mskEvent([{ topic: 'inventory.events', offset: 5, value: stockReserved }]);

    // Act
    const first = await consume(delivery, lambdaContext());
    const again = await consume(delivery, lambdaContext());

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(2);
    expect(applied).toEqual([stockReserved.eventId]);
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('runs the handler once per delivery when the same event comes twice in one batch', async () => {
    // Prepare
    const { handler, applied } = conditionalHandler();
    const { consume } = handlerIdempotentConsumer({ StockReserved: handler });

    // Act
    const response = await consume(
      mskEvent([
        { topic: 'inventory.events', offset: 5, value: stockReserved },
        { topic: 'inventory.events', offset: 6, value: stockReserved },
      ]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(handler).toHaveBeenCalledTimes(2);
    expect(applied).toEqual([stockReserved.eventId]);
  });

  it('parks an event whose handler hit a transient condition, without an attempt', async () => {
    // Prepare
    const { consume } = handlerIdempotentConsumer({
      StockReserved: vi.fn(async () =>
        Promise.reject(new OrderNotReady('stock reservation not recorded yet')),
      ),
    });

    // Act
    const response = await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(putItems('DEADLETTER')).toEqual([]);
    expect(putItems('PARKED')).toEqual([
      expect.objectContaining({
        eventId: stockReserved.eventId,
        reason: 'stock reservation not recorded yet',
        errorCode: 'ORDER_NOT_READY',
        parkCount: 1,
      }),
    ]);
  });

  it('reports the record for redelivery when an unknown failure leaves attempts', async () => {
    // Prepare
    const { consume } = handlerIdempotentConsumer({
      StockReserved: vi.fn(async () => Promise.reject(new Error('order not there yet'))),
    });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 2 } });

    // Act
    const response = await consume(
      mskEvent([{ topic: 'inventory.events', partition: 2, offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'inventory.events-2', offset: 3 } }],
    });
    expect(doc.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({
      pk: `ATTEMPTS#orders#${stockReserved.eventId}`,
      sk: 'ATTEMPTS',
    });
    expect(doc.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('dead-letters an event on its last attempt and moves on to the next record', async () => {
    // Prepare
    const failed = vi.fn(async () => undefined);
    const { consume } = handlerIdempotentConsumer({
      StockReserved: vi.fn(async () => Promise.reject(new Error('bug'))),
      PaymentFailed: failed,
    });
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 3 } });

    // Act
    const response = await consume(
      mskEvent([
        { topic: 'inventory.events', offset: 3, value: stockReserved },
        { topic: 'inventory.events', offset: 4, value: paymentFailed },
      ]),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(putItems('DEADLETTER')).toEqual([
      expect.objectContaining({
        eventId: stockReserved.eventId,
        errorKind: 'HANDLER_FAILED',
        errorMessage: 'bug',
        attempts: 3,
      }),
    ]);
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('dead-letters at once an event whose handler rejects it for good', async () => {
    // Prepare
    const { consume } = handlerIdempotentConsumer({
      StockReserved: vi.fn(async () => Promise.reject(new OrderBroken('order cannot take this event'))),
    });

    // Act
    await consume(
      mskEvent([{ topic: 'inventory.events', offset: 3, value: stockReserved }]),
      lambdaContext(),
    );

    // Assess
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(putItems('DEADLETTER')).toEqual([
      expect.objectContaining({ errorKind: 'HANDLER_REJECTED', errorCode: 'ORDER_BROKEN', attempts: 1 }),
    ]);
  });

  it('runs a due parked record through its handler and releases it when done', async () => {
    // Prepare
    const { handler, applied } = conditionalHandler();
    const { sweepParked } = handlerIdempotentConsumer({ StockReserved: handler });
    doc.on(QueryCommand).resolves({ Items: [parkedItem()] });

    // Act
    const outcome = await sweepParked(lambdaContext());

    // Assess
    expect(outcome).toEqual({ retried: 1, done: 1, parkedAgain: 0 });
    expect(applied).toEqual([stockReserved.eventId]);
    expect(doc.commandCalls(DeleteCommand)).toHaveLength(1);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('runs the handler in its record scope, with the correlationId on its log lines', async () => {
    // Prepare
    const lines = captureLogLines();
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    const { consume } = handlerIdempotentConsumer({
      StockReserved: async () => {
        logger.info('reserving');
      },
    });

    // Act
    try {
      await consume(
        mskEvent([{ topic: 'inventory.events', offset: 5, value: stockReserved }]),
        lambdaContext(),
      );
    } finally {
      logger.setLogLevel(level);
    }

    // Assess
    expect(lines.filter((line) => line.message === 'reserving')).toEqual([
      expect.objectContaining({
        correlationId: stockReserved.correlationId,
        orderId: stockReserved.aggregateId,
        eventId: stockReserved.eventId,
      }),
    ]);
  });
});

describe('Function: createConsumer (partitions side by side)', () => {
  beforeEach(() => {
    ids = 0;
    ddb.reset();
    doc.reset();
    doc.on(PutCommand).resolves({});
    doc.on(UpdateCommand).resolves({ Attributes: { attempts: 1 } });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const consumerOf = (handlers: EventHandlers, partitionConcurrency: number) =>
    createConsumer({
      service: 'payments',
      handlers,
      deadLetters: new DeadLetterStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), DEAD_LETTERS),
      parking: new ParkingLot(DynamoDBDocumentClient.from(new DynamoDBClient({})), DEAD_LETTERS),
      maxAttempts: 3,
      partitionConcurrency,
      clock: () => NOW,
    });

  /** Two records on each of partitions 0 and 1, distinct events of distinct orders. */
  const twoPartitions = () =>
    mskEvent(
      [0, 1].flatMap((partition) =>
        [0, 1].map((offset) => ({
          topic: 'inventory.events',
          partition,
          offset,
          value: {
            ...stockReserved,
            eventId: `01JN8S7QWWHQQKNETG34RA0${partition}${offset}0`,
            aggregateId: `order-${partition}-${offset}`,
            correlationId: `saga-${partition}-${offset}`,
          },
        })),
      ),
    );

  it('runs the partitions of a batch at the same time, each in offset order', async () => {
    // Prepare: each handler waits until the other partition has started too.
    const started: string[] = [];
    const finished: string[] = [];
    let release = () => {};
    const bothStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { consume } = consumerOf(
      {
        StockReserved: async (event) => {
          started.push(event.aggregateId);
          if (started.length === 2) release();
          await bothStarted;
          finished.push(event.aggregateId);
        },
      },
      2,
    );

    // Act
    const response = await consume(twoPartitions(), lambdaContext());

    // Assess: the first record of each partition began before either ended.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(started.slice(0, 2).sort()).toEqual(['order-0-0', 'order-1-0']);
    expect(finished.filter((id) => id.startsWith('order-0'))).toEqual(['order-0-0', 'order-0-1']);
    expect(finished.filter((id) => id.startsWith('order-1'))).toEqual(['order-1-0', 'order-1-1']);
  });

  it('runs the partitions one after the other by default', async () => {
    // Prepare
    const seen: string[] = [];
    const { consume } = consumerOf(
      {
        StockReserved: async (event) => {
          seen.push(event.aggregateId);
        },
      },
      1,
    );

    // Act
    await consume(twoPartitions(), lambdaContext());

    // Assess
    expect(seen).toEqual(['order-0-0', 'order-0-1', 'order-1-0', 'order-1-1']);
  });

  it('keeps each record’s keys on its own log lines while records run side by side', async () => {
    // Prepare: the records interleave; each logs before and after the other's turn.
    const lines = captureLogLines();
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    const { consume } = consumerOf(
      {
        StockReserved: async (event) => {
          logger.info('before', { about: event.aggregateId });
          await new Promise((resolve) => setImmediate(resolve));
          logger.info('after', { about: event.aggregateId });
        },
      },
      2,
    );

    // Act
    try {
      await consume(twoPartitions(), lambdaContext());
    } finally {
      logger.setLogLevel(level);
    }

    // Assess: every line names the record it was written for, and the lines did interleave.
    const handlerLines = lines.filter((line) => line.message === 'before' || line.message === 'after');
    expect(handlerLines).toHaveLength(8);
    for (const line of handlerLines) {
      expect(line.orderId).toBe(line.about);
      expect(line.correlationId).toBe(String(line.about).replace('order', 'saga'));
    }
    const firstAfter = handlerLines.findIndex((line) => line.message === 'after');
    expect(handlerLines.slice(0, firstAfter).map((line) => line.about)).toEqual(['order-0-0', 'order-1-0']);
    expect(lines.filter((line) => line.message === 'event consumed')).toHaveLength(4);
  });

  it('reports the failed record of one partition and still finishes the other', async () => {
    // Prepare: order-0-0's handler fails for an unknown reason (attempts left).
    const seen: string[] = [];
    const { consume } = consumerOf(
      {
        StockReserved: async (event) => {
          if (event.aggregateId === 'order-0-0') throw new Error('handler bug');
          seen.push(event.aggregateId);
        },
      },
      2,
    );

    // Act
    const response = await consume(twoPartitions(), lambdaContext());

    // Assess: partition 0 stops at its failure (redelivered from there); partition 1 is done.
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'inventory.events-0', offset: 0 } }],
    });
    expect(seen).toEqual(['order-1-0', 'order-1-1']);
  });

  it('rejects a partition concurrency below one', () => {
    expect(() => consumerOf({}, 0)).toThrow(RangeError);
  });
});
