/**
 * Sweeper drain benchmark: how fast the outbox sweeper empties a backlog left by a long outage.
 *
 * Starts the local runtime from cdk.out, pauses the orders table's relay and every Kafka consumer (so
 * only the sweeper works), writes N unpublished outbox rows an hour old straight into the orders
 * table, then fires the orders sweeper (the deployed bundle, with its 55 s timeout) run after run
 * until the unpublished index is empty. Prints rows per run and rows per minute of sweeping.
 *
 *   npm run bench:sweeper -- --rows 20000
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { rawOutboxRow, UNPUBLISHED_INDEX, UNPUBLISHED_SHARDS } from '../functions/platform/outbox/row';
import { localDynamoClientConfig } from '../localstack/engines';
import { LocalRuntime } from '../localstack/runtime/runtime';
import { ensureSynthesized } from '../localstack/runtime/synth';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' } } });
const total = Number(values.rows);

await ensureSynthesized(root, console.log);
const runtime = await LocalRuntime.start({
  cdkOut: join(root, 'cdk.out'),
  apiPort: 0,
  logFile: join(mkdtempSync(join(tmpdir(), 'order-saga-bench-')), 'functions.log'),
  runSchedules: false,
});
const db = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoClientConfig(runtime.dynamoEndpoint)));
try {
  const table = [...runtime.tables].find(([id]) => id.includes('/OrdersTable'))?.[1].name;
  if (!table) throw new Error('no orders table in cdk.out');
  // The outage: nothing but the sweeper publishes or consumes.
  await Promise.all([
    ...runtime.mappings.map((mapping) => mapping.setEnabled(false)),
    ...runtime.kafkaMappings.map((mapping) => mapping.setEnabled(false)),
  ]);

  const sample = JSON.parse(
    readFileSync(join(root, 'events/samples/OrderCreated.v1.json'), 'utf8'),
  ) as Record<string, unknown>;
  const hourAgo = Date.now() - 3_600_000;
  console.log(`writing ${total} unpublished outbox rows ...`);
  const written = Date.now();
  for (let start = 0; start < total; start += 25) {
    const rows = Array.from({ length: Math.min(25, total - start) }, (_, index) => {
      const eventId = ulid(hourAgo + start + index);
      const aggregateId = `bench-${(start + index) % 2_000}`;
      return rawOutboxRow({
        aggregateId,
        eventId,
        eventType: 'OrderCreated',
        topic: 'orders.events',
        messageKey: aggregateId,
        event: JSON.stringify({ ...sample, eventId, aggregateId }),
        createdAt: new Date(hourAgo + start + index).toISOString(),
      });
    });
    let items = rows.map((Item) => ({ PutRequest: { Item } }));
    while (items.length > 0) {
      const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: items } }));
      items = (result.UnprocessedItems?.[table] ?? []) as typeof items;
    }
  }
  console.log(`written in ${((Date.now() - written) / 1000).toFixed(1)} s`);

  const pending = async () => {
    let count = 0;
    for (let shard = 0; shard < UNPUBLISHED_SHARDS; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: table,
            IndexName: UNPUBLISHED_INDEX,
            KeyConditionExpression: 'unpublishedShard = :shard',
            ExpressionAttributeValues: { ':shard': String(shard) },
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return count;
  };

  const started = Date.now();
  let published = 0;
  for (let run = 1; ; run++) {
    const runStart = Date.now();
    const result = await runtime.triggerSchedule('Orders-OutboxSweeper');
    const seconds = (Date.now() - runStart) / 1000;
    if (!result.ok) throw new Error(`sweeper run ${run} failed: ${result.error.errorMessage}`);
    const outcome = result.payload as { found: number; published: number; complete: boolean };
    published += outcome.published;
    console.log(
      `run ${run}: ${outcome.published} rows in ${seconds.toFixed(1)} s (${Math.round((outcome.published / seconds) * 60)} rows/min), complete: ${outcome.complete}`,
    );
    if (outcome.complete && outcome.found === 0) break;
    if (run > 100) throw new Error('the backlog does not drain');
  }
  const minutes = (Date.now() - started) / 60_000;
  const left = await pending();
  console.log(
    `\ndrained ${published} of ${total} rows in ${(minutes * 60).toFixed(1)} s: ${Math.round(published / minutes)} rows/min of sweeping; ${left} left unpublished`,
  );
  console.log('DynamoDB requests of the functions:', JSON.stringify(runtime.meter?.snapshot()));
} finally {
  db.destroy();
  await runtime.stop();
}
