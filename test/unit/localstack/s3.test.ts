import '#test/unit/setup-env';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalFunctions } from '#localstack/runtime/functions';
import { localIdentity } from '#localstack/runtime/identity';
import type { InvokeResult, LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { Resolver } from '#localstack/runtime/resolve';
import { LocalS3, matchesEvent, onFailureObjectKey } from '#localstack/runtime/s3';
import type { StackTemplate } from '#localstack/runtime/template';

const RECORDER_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:recorder';

/** A stack with a bucket whose notifications CDK wrote as `Custom::S3BucketNotifications`. */
const stack: StackTemplate = {
  stackName: 'Svc',
  resources: {
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    Notifications: {
      Type: 'Custom::S3BucketNotifications',
      Properties: {
        ServiceToken: 'ignored',
        BucketName: { Ref: 'Bucket' },
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [{ Events: ['s3:ObjectCreated:*'], LambdaFunctionArn: RECORDER_ARN }],
        },
      },
    },
  },
  outputs: {},
  parameters: {},
};

/** A function that records the events it is invoked with. */
function recorder() {
  const events: unknown[] = [];
  const fn = {
    definition: { name: 'recorder', arn: RECORDER_ARN },
    invoke: async (event: unknown): Promise<InvokeResult> => {
      events.push(event);
      return { ok: true, payload: null };
    },
  } as unknown as LocalLambda;
  const functions = { get: (arn: unknown) => (arn === RECORDER_ARN ? fn : undefined) } as LocalFunctions;
  return { events, functions };
}

describe('Class: LocalS3', () => {
  let s3: LocalS3 | undefined;

  afterEach(async () => {
    await s3?.stop();
    s3 = undefined;
  });

  it('creates the buckets of the templates, named as the template resolves them', () => {
    // Prepare
    const { functions } = recorder();
    s3 = new LocalS3(new LogSink(undefined, false));

    // Act
    s3.load([stack], new Resolver([stack], localIdentity), functions);

    // Assess
    expect([...s3.buckets.keys()]).toEqual(['svc-bucket']);
  });

  it('invokes the functions of the bucket notifications with the S3 event of a new object', async () => {
    // Prepare
    const { events, functions } = recorder();
    s3 = new LocalS3(new LogSink(undefined, false)).load(
      [stack],
      new Resolver([stack], localIdentity),
      functions,
    );

    // Act
    s3.putObject('svc-bucket', 'aws/lambda/uuid/orders.events-0/a b.json', '{"x":1}');
    await s3.settled();

    // Assess
    expect(events).toEqual([
      {
        Records: [
          expect.objectContaining({
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: expect.objectContaining({
              bucket: expect.objectContaining({ name: 'svc-bucket', arn: 'arn:aws:s3:::svc-bucket' }),
              object: expect.objectContaining({ key: 'aws/lambda/uuid/orders.events-0/a+b.json', size: 7 }),
            }),
          }),
        ],
      },
    ]);
  });

  it('serves the objects path-style to the AWS SDK: GetObject, HeadObject and ListObjectsV2', async () => {
    // Prepare
    const { functions } = recorder();
    s3 = new LocalS3(new LogSink(undefined, false)).load(
      [stack],
      new Resolver([stack], localIdentity),
      functions,
    );
    const endpoint = await s3.listen(0);
    s3.putObject('svc-bucket', 'aws/lambda/one.json', '{"payload":"yes"}');
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    // Act
    const got = await client.send(new GetObjectCommand({ Bucket: 'svc-bucket', Key: 'aws/lambda/one.json' }));
    const head = await client.send(
      new HeadObjectCommand({ Bucket: 'svc-bucket', Key: 'aws/lambda/one.json' }),
    );
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'svc-bucket', Prefix: 'aws/' }));
    const missing = await client
      .send(new GetObjectCommand({ Bucket: 'svc-bucket', Key: 'nothing' }))
      .catch((error: Error) => error.name);

    // Assess
    expect(await got.Body?.transformToString()).toBe('{"payload":"yes"}');
    expect(head.ContentLength).toBe(17);
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['aws/lambda/one.json']);
    expect(missing).toBe('NoSuchKey');
    client.destroy();
  });
});

describe('Function: matchesEvent', () => {
  it('matches a wildcard event type and an exact one, nothing else', () => {
    // Act & Assess
    expect(matchesEvent('s3:ObjectCreated:*', 's3:ObjectCreated:Put')).toBe(true);
    expect(matchesEvent('s3:ObjectCreated:Put', 's3:ObjectCreated:Put')).toBe(true);
    expect(matchesEvent('s3:ObjectRemoved:*', 's3:ObjectCreated:Put')).toBe(false);
  });
});

describe('Function: onFailureObjectKey', () => {
  it('names an object after the mapping, the partition and the time', () => {
    // Act
    const key = onFailureObjectKey('uuid-1', 'orders.events-2', new Date('2025-03-01T12:34:56.789Z'));

    // Assess
    expect(key).toMatch(
      /^aws\/lambda\/uuid-1\/orders\.events-2\/2025\/03\/01\/2025-03-01T12\.34\.56-[0-9a-f-]{36}$/,
    );
  });
});
