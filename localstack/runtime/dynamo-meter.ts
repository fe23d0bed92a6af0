import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Write requests counted by operation, and the items they wrote (a transaction of 3 puts is 3). */
export interface DynamoUsage {
  requests: Record<string, number>;
  itemWrites: number;
  itemReads: number;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan']);

/**
 * A pass-through HTTP proxy in front of DynamoDB Local that counts requests and item writes, so the
 * local runtime can report what a workload costs in DynamoDB terms (the AWS bill is per request unit),
 * and that can hold requests for a while (the local fault endpoint's added latency).
 */
export class DynamoMeter {
  private server: Server | undefined;
  endpoint = '';
  readonly usage: DynamoUsage = { requests: {}, itemWrites: 0, itemReads: 0 };
  /** Milliseconds to hold a request of this operation before forwarding it (the latency fault). */
  addedLatency: (operation: string) => number = () => 0;

  constructor(private readonly target: string) {}

  snapshot(): DynamoUsage {
    return {
      requests: { ...this.usage.requests },
      itemWrites: this.usage.itemWrites,
      itemReads: this.usage.itemReads,
    };
  }

  private count(operation: string, body: Buffer): void {
    this.usage.requests[operation] = (this.usage.requests[operation] ?? 0) + 1;
    if (WRITES.has(operation)) this.usage.itemWrites += 1;
    else if (READS.has(operation)) this.usage.itemReads += 1;
    else if (
      operation === 'TransactWriteItems' ||
      operation === 'BatchWriteItem' ||
      operation === 'TransactGetItems' ||
      operation === 'BatchGetItem'
    ) {
      try {
        const parsed = JSON.parse(body.toString('utf8')) as {
          TransactItems?: unknown[];
          RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }>;
        };
        if (operation === 'TransactWriteItems') {
          this.usage.itemWrites += (parsed.TransactItems ?? []).filter(
            (item) => !('ConditionCheck' in (item as object)),
          ).length;
        } else if (operation === 'BatchWriteItem') {
          this.usage.itemWrites += Object.values(parsed.RequestItems ?? {}).reduce(
            (n, items) => n + (items as unknown[]).length,
            0,
          );
        } else if (operation === 'TransactGetItems') {
          this.usage.itemReads += (parsed.TransactItems ?? []).length;
        } else {
          this.usage.itemReads += Object.values(parsed.RequestItems ?? {}).reduce(
            (n, entry) => n + ((entry as { Keys?: unknown[] }).Keys ?? []).length,
            0,
          );
        }
      } catch {
        // An unparseable body is DynamoDB's to reject; it wrote nothing.
      }
    }
  }

  async start(): Promise<string> {
    const target = new URL(this.target);
    const server = createServer((req, res) => {
      const forward = (body: Buffer) => {
        const upstream = request(
          {
            hostname: target.hostname,
            port: target.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (response) => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
              message: error.message,
            }),
          );
        });
        upstream.end(body);
      };
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks as Uint8Array[]);
        const operation =
          String(req.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '';
        if (operation) this.count(operation, body);
        const delay = this.addedLatency(operation);
        if (delay > 0) setTimeout(() => forward(body), delay);
        else forward(body);
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
