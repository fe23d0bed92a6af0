import type { Context, MSKEvent, MSKRecord } from 'aws-lambda';

export interface TestKafkaRecord {
  topic: string;
  partition?: number;
  offset: number;
  key?: string;
  /** A value object is serialized as JSON; a string is sent as is. */
  value: unknown;
  headers?: Record<string, string>;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** An MSK event in the shape Lambda delivers: records grouped by `topic-partition`, base64 key and value. */
export function mskEvent(records: readonly TestKafkaRecord[]): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const record of records) {
    const partition = record.partition ?? 0;
    const value = typeof record.value === 'string' ? record.value : JSON.stringify(record.value);
    const group = `${record.topic}-${partition}`;
    grouped[group] ??= [];
    grouped[group].push({
      topic: record.topic,
      partition,
      offset: record.offset,
      timestamp: 1_740_830_400_000,
      timestampType: 'CREATE_TIME',
      key: b64(record.key ?? 'order-1'),
      value: b64(value),
      headers: Object.entries(record.headers ?? {}).map(([name, text]) => ({
        [name]: [...Buffer.from(text, 'utf8')],
      })),
    });
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:us-east-1:123456789012:cluster/test/0a1b2c3d-4e5f-6789-abcd-ef0123456789-s1',
    bootstrapServers: 'b-1.test:9098',
    records: grouped,
  };
}

/** A Lambda context with enough time left for the idempotency in-progress window. */
export function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:consumer',
    memoryLimitInMB: '512',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/consumer',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
