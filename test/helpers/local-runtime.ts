import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { localDynamoClientConfig } from '#localstack/engines/index';
import { LocalRuntime, type LocalRuntimeOptions } from '#localstack/runtime/runtime';
import { OpenApiContract } from './openapi';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The order APIs of the runtimes started here: `http` checks every answer they give against the
 * OpenAPI document (docs/openapi.json), and fails the test on a mismatch.
 */
const checkedApis = new Set<string>();
let contract: OpenApiContract | undefined;

/** Starts the local runtime from cdk.out on free ports, with its function logs in a temp file. */
export async function startRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  const logDir = mkdtempSync(join(tmpdir(), 'order-saga-e2e-'));
  const runtime = await LocalRuntime.start({
    cdkOut: join(ROOT, 'cdk.out'),
    apiPort: 0,
    logFile: join(logDir, 'functions.log'),
    runSchedules: false,
    ...options,
  });
  checkedApis.add(runtime.apiUrl);
  return runtime;
}

export function documentClient(runtime: LocalRuntime): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoClientConfig(runtime.dynamoEndpoint)));
}

/**
 * The local name of the one table whose logical id contains `fragment` (the runtime knows tables as
 * `<stack name>/<logical id>`; only the logical id is matched).
 */
export function tableName(runtime: LocalRuntime, fragment: string): string {
  const matches = [...runtime.tables].filter(([id]) =>
    (id.split('/').pop() ?? id).toLowerCase().includes(fragment.toLowerCase()),
  );
  const [entry, ...others] = matches;
  if (!entry) throw new Error(`No table matching ${fragment}: ${[...runtime.tables.keys()].join(', ')}`);
  if (others.length > 0) {
    throw new Error(`More than one table matches ${fragment}: ${matches.map(([id]) => id).join(', ')}`);
  }
  return entry[1].name;
}

export async function scanAll(
  client: DynamoDBDocumentClient,
  table: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Collects every message of the given topics from the beginning, until `stop()`. */
export async function collectTopic(bootstrap: string, topics: string[]) {
  const kafka = new Kafka({
    clientId: 'e2e-observer',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20 },
  });
  const consumer = kafka.consumer({
    groupId: `e2e-${Date.now()}-${Math.random()}`,
    sessionTimeout: 6_000,
    heartbeatInterval: 1_000,
    // A short fetch wait keeps disconnect fast against the mock cluster.
    maxWaitTimeInMs: 500,
  });
  const messages: ReceivedMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      messages.push({
        topic,
        partition,
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
        headers,
      });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

/**
 * Records of a topic that a consumer group has not committed yet: 0 once the group's consumer is done
 * with everything published to it so far.
 */
export async function uncommitted(bootstrap: string, groupId: string, topic: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'e2e-lag',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0;
    for (const { partition, high } of ends) {
      const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      lag += Number(high) - Math.max(offset, 0);
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function http(baseUrl: string, path: string, init: RequestInit = {}): Promise<HttpResult> {
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  if (checkedApis.has(baseUrl)) {
    contract ??= new OpenApiContract();
    contract.assertMatches({
      method: init.method ?? 'GET',
      path,
      status: response.status,
      contentType: response.headers.get('content-type'),
      text,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

export function postOrder(
  baseUrl: string,
  body: unknown,
  key: string | undefined,
  headers: Record<string, string> = {},
) {
  return http(baseUrl, '/orders', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
