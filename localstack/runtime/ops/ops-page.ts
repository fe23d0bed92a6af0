import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { ORDER_STATUSES } from '#functions/orders/domain/order';
import { localDynamoClientConfig } from '../../engines/dynamodb-local';
import { LocalRuntimeError } from '../errors';
import type { MetricStore } from './metrics';
import { BUSINESS_PANELS, evaluatePanels, type PanelValue } from './panels';
import {
  consumerLag,
  countByStatus,
  latencySummary,
  latestOrders,
  type OrderView,
  orderViewOf,
} from './stats';

/** Orders the page lists, newest first. */
const LATEST = 20;
/** A snapshot is computed at most this often, however many pages poll. */
const SNAPSHOT_MAX_AGE_MS = 750;
/** The panels' timelines: one value per minute over the last 30 minutes. */
const TIMELINE = { periodMs: 60_000, periods: 30 };
const DEAD_LETTER_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** A consumer group of an MSK event source mapping, and the topics it reads. */
export interface ConsumerGroup {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** The function the mapping invokes. */
  readonly functionName: string;
}

/** Where the page's data comes from: the runtime's own state, and the platform's API. */
export interface OpsSources {
  /** The metrics the functions emitted (EMF lines of their output). */
  readonly metrics: MetricStore;
  /** DynamoDB Local itself (not the meter: the page's reads are not the functions' bill). */
  readonly dynamoEndpoint: string;
  /** The orders table. */
  readonly ordersTable: string;
  readonly kafkaBootstrap: string;
  readonly consumerGroups: () => readonly ConsumerGroup[];
  /** The order API (dead letters and their redrive go through its `/admin` routes). */
  readonly apiUrl: () => string;
  /** Signs a user in (USER_PASSWORD_AUTH) and returns the ID token; throws when refused. */
  readonly signIn?: (email: string, password: string) => string;
}

/** One consumer group's lag, per topic. */
export interface LagView {
  readonly groupId: string;
  readonly functionName: string;
  readonly topics: readonly { readonly topic: string; readonly lag: number }[];
  readonly lag: number;
}

/** What `GET /api/state` answers: everything the page shows but the dead letters. */
export interface OpsSnapshot {
  readonly generatedAt: string;
  readonly orders: {
    readonly total: number;
    readonly byStatus: Record<string, number>;
    readonly latest: readonly OrderView[];
    readonly sagaLatencyMs: ReturnType<typeof latencySummary>;
  };
  readonly consumers: readonly LagView[];
  /** Why the consumer lag is missing, when it could not be read. */
  readonly consumersError?: string;
  readonly panels: readonly PanelValue[];
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

const json = (status: number, body: unknown): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
});

const asset = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');

/**
 * The operations page of the local runtime: one static page (`page.html`, `page.js`) polling a JSON
 * snapshot (`GET /api/state`) of the orders (from the orders table), the consumer groups' lag (from
 * the Kafka cluster's offsets) and the business panels of the CloudWatch dashboard (from the metrics
 * the functions emit). Dead letters are listed and redriven through the order API's `/admin` routes
 * with the ID token of a signed-in admin, which the page holds (`POST /api/sign-in` signs in with the
 * local user pool); the page itself shows no customer ids, payment data or secrets.
 */
export class OpsPage {
  private server: Server | undefined;
  private readonly documents: DynamoDBDocumentClient;
  private admin: Promise<Admin> | undefined;
  private snapshot: { at: number; value: Promise<OpsSnapshot> } | undefined;
  private readonly assets: Record<string, Reply>;
  url = '';

  constructor(private readonly sources: OpsSources) {
    this.documents = DynamoDBDocumentClient.from(
      new DynamoDBClient(localDynamoClientConfig(sources.dynamoEndpoint)),
    );
    this.assets = {
      '/': { status: 200, type: 'text/html; charset=utf-8', body: asset('./page.html') },
      '/page.js': { status: 200, type: 'text/javascript; charset=utf-8', body: asset('./page.js') },
    };
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks as Uint8Array[]).toString('utf8');
        this.handle(req, body).then(
          (reply) => send(res, reply),
          (error: unknown) => send(res, json(500, { message: String(error) })),
        );
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new LocalRuntimeError(`The operations page could not listen on port ${port}`, { cause: error }),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.then((client) => client.disconnect()).catch(() => undefined);
    this.documents.destroy();
  }

  private async handle(req: IncomingMessage, body: string): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const page = this.assets[url.pathname];
    if (method === 'GET' && page) return page;
    if (method === 'GET' && url.pathname === '/api/state') return json(200, await this.state());
    if (method === 'POST' && url.pathname === '/api/sign-in') return this.signIn(body);
    if (method === 'GET' && url.pathname === '/api/dead-letters') {
      const status = url.searchParams.get('status') === 'REDRIVEN' ? 'REDRIVEN' : 'OPEN';
      return this.forward('GET', `/admin/dead-letters?status=${status}&limit=50`, req);
    }
    const redrive = /^\/api\/dead-letters\/([^/]+)\/redrive$/.exec(url.pathname);
    if (method === 'POST' && redrive) {
      const id = decodeURIComponent(redrive[1] ?? '');
      if (!DEAD_LETTER_ID.test(id)) return json(400, { message: 'a dead-letter id is a 26-character ULID' });
      return this.forward('POST', `/admin/dead-letters/${id}/redrive`, req);
    }
    return json(404, { message: `${method} ${url.pathname} is not served here` });
  }

  /** A request of the order API with the caller's Authorization header; its answer passed on as is. */
  private async forward(method: 'GET' | 'POST', path: string, req: IncomingMessage): Promise<Reply> {
    const authorization = req.headers.authorization;
    const response = await fetch(`${this.sources.apiUrl()}${path}`, {
      method,
      headers: authorization ? { authorization } : {},
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? 'application/json',
      body: await response.text(),
    };
  }

  private signIn(body: string): Reply {
    const signIn = this.sources.signIn;
    if (!signIn) return json(404, { message: 'No user pool runs locally' });
    let request: { email?: unknown; password?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return json(400, { message: 'the body is not JSON' });
    }
    try {
      return json(200, { idToken: signIn(String(request.email ?? ''), String(request.password ?? '')) });
    } catch (error) {
      return json(401, { message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** The current snapshot, computed at most every SNAPSHOT_MAX_AGE_MS. */
  state(): Promise<OpsSnapshot> {
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > SNAPSHOT_MAX_AGE_MS) {
      const value = this.compute(now);
      // A failed computation is not kept: the next poll tries again.
      value.catch(() => {
        if (this.snapshot?.value === value) this.snapshot = undefined;
      });
      this.snapshot = { at: now, value };
    }
    return this.snapshot.value;
  }

  private async compute(now: number): Promise<OpsSnapshot> {
    const [orders, consumers] = await Promise.all([
      this.readOrders(),
      this.readLag().then(
        (lag) => ({ lag }),
        (error: unknown) => ({ lag: [] as LagView[], error: String(error) }),
      ),
    ]);
    const durations = orders.flatMap((order) => (order.sagaMs === null ? [] : [order.sagaMs]));
    return {
      generatedAt: new Date(now).toISOString(),
      orders: {
        total: orders.length,
        byStatus: countByStatus(orders, ORDER_STATUSES),
        latest: latestOrders(orders, LATEST),
        sagaLatencyMs: latencySummary(durations),
      },
      consumers: consumers.lag,
      ...('error' in consumers ? { consumersError: consumers.error } : {}),
      panels: evaluatePanels(this.sources.metrics, BUSINESS_PANELS, { now, ...TIMELINE }),
    };
  }

  /** Every order of the orders table (only the attributes the page shows are read). */
  private async readOrders(): Promise<OrderView[]> {
    const orders: OrderView[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.sources.ordersTable,
          FilterExpression: '#entity = :order',
          ProjectionExpression: '#entity, orderId, #status, createdAt, updatedAt, #total, #lines, #history',
          ExpressionAttributeNames: {
            '#entity': 'entity',
            '#status': 'status',
            '#total': 'total',
            '#lines': 'lines',
            '#history': 'history',
          },
          ExpressionAttributeValues: { ':order': 'ORDER' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const view = orderViewOf(item);
        if (view) orders.push(view);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return orders;
  }

  /** Each consumer group's lag per topic, from the cluster's end offsets and the group's commits. */
  private async readLag(): Promise<LagView[]> {
    const groups = this.sources.consumerGroups();
    if (groups.length === 0) return [];
    const admin = await this.kafkaAdmin();
    const topics = [...new Set(groups.flatMap((group) => group.topics))];
    const ends = new Map(
      await Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const)),
    );
    return Promise.all(
      groups.map(async (group) => {
        const committed = await admin.fetchOffsets({ groupId: group.groupId, topics: [...group.topics] });
        const perTopic = group.topics.map((topic) => {
          const offsets = ends.get(topic) ?? [];
          const commits = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
          const lag = offsets.reduce(
            (sum, { partition, high, low }) =>
              sum +
              consumerLag(
                [
                  {
                    partition,
                    end: Number(high),
                    committed: Number(commits.find((entry) => entry.partition === partition)?.offset ?? -1),
                  },
                ],
                Number(low),
              ),
            0,
          );
          return { topic, lag };
        });
        return {
          groupId: group.groupId,
          functionName: group.functionName,
          topics: perTopic,
          lag: perTopic.reduce((sum, { lag }) => sum + lag, 0),
        };
      }),
    );
  }

  private kafkaAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = new Kafka({
        clientId: 'ops-page',
        brokers: this.sources.kafkaBootstrap.split(','),
        logLevel: logLevel.NOTHING,
        retry: { retries: 3 },
      }).admin();
      const connected = admin.connect().then(() => admin);
      connected.catch(() => {
        if (this.admin === connected) this.admin = undefined;
      });
      this.admin = connected;
    }
    return this.admin;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'content-type': reply.type,
    'content-length': String(Buffer.byteLength(reply.body)),
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(reply.body);
}
