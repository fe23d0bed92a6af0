import '#test/unit/setup-env';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '#test/helpers/fixtures';
import { sample } from '#test/unit/events/helpers';

const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
const confirmed = sample('OrderConfirmed');

/** An object body as the SDK returns it, reduced to what the handler reads. */
const body = (text: string) => ({ transformToString: async () => text });

const s3Event = (key: string): S3Event =>
  ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: 'discarded', arn: 'arn:aws:s3:::discarded' }, object: { key, size: 1 } },
      },
    ],
  }) as unknown as S3Event;

const onFailure = {
  requestContext: {
    functionArn: 'arn:aws:lambda:us-east-1:1:function:c',
    condition: 'RecordAgeExceeded',
    approximateInvokeCount: 0,
  },
  KafkaBatchInfo: { recordsInfo: { 'orders.events-0': { firstRecordOffset: '3', lastRecordOffset: '3' } } },
  payload: JSON.stringify({
    records: {
      'orders.events-0': [
        {
          topic: 'orders.events',
          partition: 0,
          offset: 3,
          timestamp: 1_740_830_000_000,
          timestampType: 'CREATE_TIME',
          value: Buffer.from(JSON.stringify(confirmed)).toString('base64'),
          headers: [],
        },
      ],
    },
  }),
};

async function load() {
  vi.resetModules();
  vi.stubEnv('DEAD_LETTER_TABLE_NAME', 'dead-letters');
  vi.stubEnv('CONSUMER_SERVICE', 'notifications');
  const { handler } = await import('#platform/handlers/discarded-batches');
  return (event: S3Event) => handler(event, lambdaContext());
}

describe('Handler: discarded-batches', () => {
  beforeEach(() => {
    s3.reset();
    ddb.reset();
    ddb.on(PutCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads the object named by the notification and writes its records as dead letters of its service', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(onFailure)) } as never);
    const handler = await load();

    // Act
    await handler(s3Event('aws/lambda/uuid/orders.events-0/2025/03/01/2025-03-01T12.00.00-a+b.json'));

    // Assess
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'discarded',
      Key: 'aws/lambda/uuid/orders.events-0/2025/03/01/2025-03-01T12.00.00-a b.json',
    });
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        TableName: 'dead-letters',
        Item: expect.objectContaining({
          service: 'notifications',
          eventId: confirmed.eventId,
          rawValue: JSON.stringify(confirmed),
          errorCode: 'RecordAgeExceeded',
        }),
      }),
    ]);
  });

  it('fails the invocation on an object it cannot read, so Lambda retries it and then keeps it aside', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({ Body: body('{"requestContext":{},"KafkaBatchInfo":{}}') } as never);
    const handler = await load();

    // Act
    const outcome = handler(s3Event('aws/lambda/x.json'));

    // Assess
    await expect(outcome).rejects.toMatchObject({
      name: 'DiscardedBatchUnreadableError',
      code: 'DISCARDED_BATCH_UNREADABLE',
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
