import * as z from 'zod';
import { defineFunction, type MetricSpec, setting } from '../contract';

/** How Kafka clients connect; the CDK app's `bindKafka` sets these from the cluster it deploys to. */
export const KAFKA_CLIENT_SETTINGS = {
  MSK_CLUSTER_ARN: setting.textOr('').describe('the MSK cluster; its brokers are asked for at cold start'),
  KAFKA_BOOTSTRAP_BROKERS: setting
    .textOr('')
    .describe('comma-separated host:port list; when empty, the brokers of MSK_CLUSTER_ARN'),
  KAFKA_AUTH: setting
    .oneOf(['iam', 'none'], 'iam')
    .describe('`iam`: SASL/OAUTHBEARER over TLS (MSK IAM); `none`: plaintext'),
  KAFKA_IDEMPOTENT_PRODUCER: setting
    .bool(false)
    .describe(
      'the idempotent producer (untested: the local cluster cannot run it; needs kafka-cluster:WriteDataIdempotently); without it one request is in flight',
    ),
  KAFKA_CLIENT_ID: setting.textOr('order-saga').describe('client id reported to the brokers'),
  KAFKA_SEND_RETRIES: setting.int(6).describe('retries of one send inside the client before it fails'),
  KAFKA_REQUEST_TIMEOUT_MS: setting.int(10_000, { min: 1 }).describe('timeout of one Kafka request'),
};

/** Metrics of the outbox publisher (relay and sweeper), under the owning service's dimension. */
export const OUTBOX_METRICS = {
  OutboxPublished: 'Count',
  OutboxPublishFailures: 'Count',
  OutboxPublishLagMs: 'Milliseconds',
  OutboxQuarantined: 'Count',
} as const satisfies MetricSpec;

const GRACE_SECONDS = setting
  .int(120)
  .describe(
    "age after which an event Kafka has not acknowledged is the sweeper's: the relay writes it as an outbox row instead of retrying it from the stream, and the sweeper republishes rows still unpublished (deployed: at least 10)",
  );

const CHUNK_SIZE = setting.int(100, { min: 1, max: 500 }).describe('rows per Kafka send');

/** The stream relay: deployed once per service table that carries an outbox. */
export const OutboxRelayFn = defineFunction({
  name: 'relay',
  service: undefined,
  entry: 'platform/handlers/outbox-relay.ts',
  trigger:
    'DynamoDB stream of the owning service table (items whose outbox attribute is set, outbox row inserts)',
  description:
    'Publishes the events state items carry and inserted outbox rows from the table stream to Kafka; hands what it cannot publish to the sweeper',
  tables: { OUTBOX_TABLE_NAME: 'streamRead' },
  settings: z.object({
    ...KAFKA_CLIENT_SETTINGS,
    OUTBOX_CHUNK_SIZE: CHUNK_SIZE,
    OUTBOX_GRACE_SECONDS: GRACE_SECONDS,
  }),
  metrics: OUTBOX_METRICS,
});

/** The sweeper: deployed once per service table that carries an outbox. */
export const OutboxSweeperFn = defineFunction({
  name: 'sweeper',
  service: undefined,
  entry: 'platform/handlers/outbox-sweeper.ts',
  trigger: 'schedule (every minute)',
  description: 'Republishes outbox rows still unpublished after the grace period',
  tables: { OUTBOX_TABLE_NAME: 'named' },
  settings: z.object({
    ...KAFKA_CLIENT_SETTINGS,
    OUTBOX_CHUNK_SIZE: CHUNK_SIZE,
    OUTBOX_GRACE_SECONDS: GRACE_SECONDS,
    OUTBOX_SWEEP_PAGE_SIZE: setting
      .int(500, { min: 1 })
      .describe('rows read per query of one index shard; a run reads page after page until its time is up'),
  }),
  metrics: { ...OUTBOX_METRICS, OutboxSweepFound: 'Count' },
});

/** The custom resource that creates the platform's Kafka topics. */
export const KafkaTopicsFn = defineFunction({
  name: 'kafka-topics',
  service: 'messaging',
  entry: 'platform/handlers/kafka-topics.ts',
  trigger: 'CloudFormation custom resource `Custom::KafkaTopics` (property `Topics: [{ name, partitions }]`)',
  description: 'Creates the Kafka topics and grows their partitions',
  tables: {},
  settings: z.object(KAFKA_CLIENT_SETTINGS),
  metrics: {},
});
