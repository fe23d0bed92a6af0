import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * What a write or read was for. The bill of an order is read per purpose: the business state itself,
 * the outbox row that carries its event, the relay marking that row published, the consumers'
 * idempotency records and attempt counters, parked and dead-lettered records, analytics counters,
 * and `external` for tables that stand in for a third party (the mock PSP), which AWS would not bill
 * to this system.
 */
export type Purpose =
  | 'business'
  | 'outbox'
  | 'relay-mark'
  | 'idempotency'
  | 'attempts'
  | 'parked'
  | 'dead-letters'
  | 'analytics'
  | 'external';

/** What kind of table a physical table name is, and its name in the template. */
export interface MeteredTable {
  logicalId: string;
  kind: 'service' | 'idempotency' | 'dead-letters' | 'analytics' | 'external';
}

/** Request units as on-demand DynamoDB bills them: write and read request units, GSI writes included. */
export interface Units {
  write: number;
  read: number;
}

export interface DynamoUsage {
  /** Requests by operation name. */
  requests: Record<string, number>;
  /** Items written (a transaction of 3 puts is 3), index writes not included. */
  itemWrites: number;
  itemReads: number;
  /** Billed units over every table but the external ones, index writes included. */
  units: Units;
  /** Billed units by table (logical id) and, for index writes and reads, `<table>/<index>`. */
  byTable: Record<string, Units>;
  byPurpose: Partial<Record<Purpose, Units>>;
  /** Conditional writes DynamoDB refused (they are billed too). */
  failedConditionalWrites: number;
}

const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const SINGLE_READS = new Set(['GetItem', 'Query', 'Scan']);
const METERED = new Set([
  ...SINGLE_WRITES,
  ...SINGLE_READS,
  'TransactWriteItems',
  'BatchWriteItem',
  'TransactGetItems',
  'BatchGetItem',
]);

type AttributeMap = Record<string, unknown>;
interface CapacityReport {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}
/** One item a request touches: which table, its key or item, and how it touches it. */
interface Touch {
  table: string;
  action: 'put' | 'update' | 'delete' | 'check' | 'read';
  key: AttributeMap | undefined;
  /** Billing weight inside a transaction (1 KB units for a put, 1 for the rest). */
  weight: number;
}

const emptyUsage = (): DynamoUsage => ({
  requests: {},
  itemWrites: 0,
  itemReads: 0,
  units: { write: 0, read: 0 },
  byTable: {},
  byPurpose: {},
  failedConditionalWrites: 0,
});

/**
 * DynamoDB's item size: attribute names plus values (strings and binaries by length, numbers about
 * one byte per two digits, containers 3 bytes plus their elements).
 */
export function itemSize(item: AttributeMap): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: unknown): number {
  const typed = (value ?? {}) as Record<string, unknown>;
  if (typeof typed.S === 'string') return Buffer.byteLength(typed.S);
  if (typeof typed.N === 'string') return Math.ceil(typed.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (typeof typed.B === 'string') return Buffer.from(typed.B, 'base64').length;
  if ('BOOL' in typed || 'NULL' in typed) return 1;
  if (Array.isArray(typed.SS)) return typed.SS.reduce((n: number, s) => n + Buffer.byteLength(String(s)), 0);
  if (Array.isArray(typed.NS)) return typed.NS.reduce((n: number, s) => n + String(s).length, 0);
  if (Array.isArray(typed.L)) return 3 + typed.L.reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (typed.M && typeof typed.M === 'object')
    return 3 + itemSize(typed.M as AttributeMap) + Object.keys(typed.M).length;
  return 0;
}

const stringAt = (key: AttributeMap | undefined, name: string): string => {
  const value = key?.[name] as { S?: unknown } | undefined;
  return typeof value?.S === 'string' ? value.S : '';
};

/** The purpose of one item's write or read, from its table and its key. */
export function purposeOf(
  table: MeteredTable | undefined,
  action: Touch['action'],
  key: AttributeMap | undefined,
): Purpose {
  if (table === undefined) return purposeOf({ logicalId: '', kind: 'service' }, action, key);
  switch (table.kind) {
    case 'service': {
      if (!stringAt(key, 'pk').startsWith('OUTBOX#')) return 'business';
      return action === 'update' ? 'relay-mark' : 'outbox';
    }
    case 'idempotency':
      return 'idempotency';
    case 'analytics':
      return 'analytics';
    case 'external':
      return 'external';
    case 'dead-letters': {
      const pk = stringAt(key, 'pk');
      if (pk.startsWith('PARKED#')) return 'parked';
      if (pk.startsWith('ATTEMPTS#')) return 'attempts';
      return 'dead-letters';
    }
    default: {
      const unknownKind: never = table.kind;
      return unknownKind;
    }
  }
}

/** Index writes and reads belong to what the index serves, whatever the item's own purpose. */
const INDEX_PURPOSES: Record<string, Purpose> = { unpublished: 'outbox', parked: 'parked' };

/** The items a request touches, in the order of its body. */
function touches(operation: string, body: Record<string, unknown>): Touch[] {
  const table = String(body.TableName ?? '');
  switch (operation) {
    case 'PutItem':
      return [{ table, action: 'put', key: body.Item as AttributeMap, weight: 1 }];
    case 'UpdateItem':
      return [{ table, action: 'update', key: body.Key as AttributeMap, weight: 1 }];
    case 'DeleteItem':
      return [{ table, action: 'delete', key: body.Key as AttributeMap, weight: 1 }];
    case 'GetItem':
    case 'Query':
    case 'Scan':
      return [{ table, action: 'read', key: body.Key as AttributeMap | undefined, weight: 1 }];
    case 'TransactWriteItems':
      return ((body.TransactItems ?? []) as Record<string, Record<string, unknown>>[]).map((entry) => {
        const [kind, spec] = Object.entries(entry)[0] ?? ['ConditionCheck', {}];
        const action =
          ({ Put: 'put', Update: 'update', Delete: 'delete' } as const)[kind as 'Put'] ?? 'check';
        const key = (spec.Item ?? spec.Key) as AttributeMap;
        return {
          table: String(spec.TableName ?? ''),
          action,
          key,
          weight: action === 'put' ? Math.max(1, Math.ceil(itemSize(key) / 1024)) : 1,
        };
      });
    case 'BatchWriteItem':
      return Object.entries(
        (body.RequestItems ?? {}) as Record<
          string,
          Record<string, { Item?: AttributeMap; Key?: AttributeMap }>[]
        >,
      ).flatMap(([name, requests]) =>
        requests.map((entry) => ({
          table: name,
          action: entry.PutRequest ? ('put' as const) : ('delete' as const),
          key: entry.PutRequest?.Item ?? entry.DeleteRequest?.Key,
          weight: 1,
        })),
      );
    case 'TransactGetItems':
      return ((body.TransactItems ?? []) as { Get?: { TableName?: string; Key?: AttributeMap } }[]).map(
        (entry) => ({
          table: String(entry.Get?.TableName ?? ''),
          action: 'read' as const,
          key: entry.Get?.Key,
          weight: 1,
        }),
      );
    case 'BatchGetItem':
      return Object.entries((body.RequestItems ?? {}) as Record<string, { Keys?: AttributeMap[] }>).flatMap(
        ([name, spec]) =>
          (spec.Keys ?? []).map((key) => ({ table: name, action: 'read' as const, key, weight: 1 })),
      );
    default:
      return [];
  }
}

/**
 * A pass-through HTTP proxy in front of DynamoDB Local that meters what a workload would cost on
 * on-demand DynamoDB, and that can hold requests for a while (the local fault endpoint's added latency).
 *
 * It asks DynamoDB Local for `ReturnConsumedCapacity: INDEXES` on every data-plane request (and takes
 * the report out of responses whose caller did not ask for it), so index writes and item sizes count
 * as AWS counts them. Two corrections follow AWS's published rules where DynamoDB Local differs: a
 * transactional write costs 2 units per KB on the table (Local reports 4) and its index updates are
 * standard writes at 1 unit per KB (Local reports 4); a conditional write DynamoDB refuses still costs a
 * unit, and a cancelled transaction 2 per item. Inside a transaction the table's units are shared out
 * to its items by size, which makes the per-purpose split of a transaction an estimate; the totals are not.
 */
export class DynamoMeter {
  private server: Server | undefined;
  endpoint = '';
  readonly usage: DynamoUsage = emptyUsage();
  /** Milliseconds to hold a request of this operation before forwarding it (the latency fault). */
  addedLatency: (operation: string) => number = () => 0;

  constructor(
    private readonly target: string,
    private readonly describe: (tableName: string) => MeteredTable | undefined = () => undefined,
  ) {}

  snapshot(): DynamoUsage {
    return structuredClone(this.usage);
  }

  /** Usage accumulated since `before` (a snapshot); entries that did not change are left out. */
  since(before: DynamoUsage): DynamoUsage {
    const now = this.snapshot();
    const minus = (a: Units, b: Units | undefined): Units => ({
      write: a.write - (b?.write ?? 0),
      read: a.read - (b?.read ?? 0),
    });
    const changed = <K extends string>(now: Partial<Record<K, Units>>, then: Partial<Record<K, Units>>) =>
      Object.fromEntries(
        (Object.entries(now) as [K, Units][])
          .map(([key, units]) => [key, minus(units, then[key])] as const)
          .filter(([, units]) => units.write !== 0 || units.read !== 0),
      ) as Partial<Record<K, Units>>;
    return {
      requests: Object.fromEntries(
        Object.entries(now.requests)
          .map(([operation, n]) => [operation, n - (before.requests[operation] ?? 0)] as const)
          .filter(([, n]) => n !== 0),
      ),
      itemWrites: now.itemWrites - before.itemWrites,
      itemReads: now.itemReads - before.itemReads,
      units: minus(now.units, before.units),
      byTable: changed(now.byTable, before.byTable) as Record<string, Units>,
      byPurpose: changed(now.byPurpose, before.byPurpose),
      failedConditionalWrites: now.failedConditionalWrites - before.failedConditionalWrites,
    };
  }

  private add(tableName: string, index: string | undefined, purpose: Purpose, units: Units): void {
    const table = this.describe(tableName);
    const name = `${table?.logicalId ?? tableName}${index ? `/${index}` : ''}`;
    const add = (into: Units) => {
      into.write += units.write;
      into.read += units.read;
    };
    const byTable = this.usage.byTable[name] ?? { write: 0, read: 0 };
    const byPurpose = this.usage.byPurpose[purpose] ?? { write: 0, read: 0 };
    this.usage.byTable[name] = byTable;
    this.usage.byPurpose[purpose] = byPurpose;
    add(byTable);
    add(byPurpose);
    if (purpose !== 'external') add(this.usage.units);
  }

  private countItems(operation: string, items: Touch[]): void {
    this.usage.requests[operation] = (this.usage.requests[operation] ?? 0) + 1;
    for (const item of items) {
      if (item.action === 'read') this.usage.itemReads += 1;
      else if (item.action !== 'check') this.usage.itemWrites += 1;
    }
  }

  /** Attributes the capacity DynamoDB reported for a successful request. */
  private bill(operation: string, items: Touch[], reports: CapacityReport[]): void {
    const transactional = operation === 'TransactWriteItems';
    const reads = items.every((item) => item.action === 'read');
    for (const report of reports) {
      const tableName = report.TableName ?? '';
      const table = this.describe(tableName);
      const mine = items.filter((item) => item.table === tableName);
      const tableUnits = (report.Table?.CapacityUnits ?? report.CapacityUnits ?? 0) / (transactional ? 2 : 1);
      const weight = mine.reduce((n, item) => n + item.weight, 0) || 1;
      for (const item of mine.length > 0 ? mine : [undefined]) {
        const share = (tableUnits * (item?.weight ?? 1)) / weight;
        this.add(
          tableName,
          undefined,
          purposeOf(table, item?.action ?? 'read', item?.key),
          reads ? { write: 0, read: share } : { write: share, read: 0 },
        );
      }
      for (const [index, capacity] of Object.entries(report.GlobalSecondaryIndexes ?? {})) {
        const units = (capacity.CapacityUnits ?? 0) / (transactional ? 4 : 1);
        const single = SINGLE_WRITES.has(operation) ? mine[0] : undefined;
        const purpose = single
          ? purposeOf(table, single.action, single.key)
          : (INDEX_PURPOSES[index] ?? purposeOf(table, 'read', undefined));
        this.add(tableName, index, purpose, reads ? { write: 0, read: units } : { write: units, read: 0 });
      }
    }
  }

  /** Refused conditional writes are billed: a unit for a single write, two per item for a transaction. */
  private billRefusal(operation: string, items: Touch[], errorType: string): void {
    if (errorType.endsWith('ConditionalCheckFailedException') && SINGLE_WRITES.has(operation)) {
      const [item] = items;
      if (!item) return;
      this.usage.failedConditionalWrites += 1;
      this.add(item.table, undefined, purposeOf(this.describe(item.table), item.action, item.key), {
        write: 1,
        read: 0,
      });
    } else if (errorType.endsWith('TransactionCanceledException') && operation === 'TransactWriteItems') {
      this.usage.failedConditionalWrites += 1;
      for (const item of items) {
        this.add(item.table, undefined, purposeOf(this.describe(item.table), item.action, item.key), {
          write: 2,
          read: 0,
        });
      }
    }
  }

  async start(): Promise<string> {
    const target = new URL(this.target);
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body = Buffer.concat(chunks as Uint8Array[]);
        const operation =
          String(req.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '';
        let metered: { items: Touch[]; strip: boolean } | undefined;
        if (METERED.has(operation)) {
          try {
            const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
            const items = touches(operation, parsed);
            this.countItems(operation, items);
            const asked = parsed.ReturnConsumedCapacity;
            const strip = asked === undefined || asked === 'NONE';
            if (strip) {
              parsed.ReturnConsumedCapacity = 'INDEXES';
              body = Buffer.from(JSON.stringify(parsed));
            }
            metered = { items, strip };
          } catch {
            // An unparseable body is DynamoDB's to reject; it costs nothing.
          }
        } else if (operation) {
          this.usage.requests[operation] = (this.usage.requests[operation] ?? 0) + 1;
        }
        const { 'transfer-encoding': _chunkedRequest, ...requestHeaders } = req.headers;
        const headers: IncomingHttpHeaders = { ...requestHeaders, 'content-length': String(body.length) };
        const forward = () => {
          const upstream = request(
            { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers },
            (response) => {
              if (!metered) {
                res.writeHead(response.statusCode ?? 502, response.headers);
                response.pipe(res);
                return;
              }
              const parts: Buffer[] = [];
              response.on('data', (part: Buffer) => parts.push(part));
              response.on('end', () => {
                const raw = Buffer.concat(parts as Uint8Array[]);
                const out = this.meterResponse(operation, metered, response.statusCode ?? 502, raw);
                // The body is sent whole, with its length: a chunked upstream answer is no longer
                // chunked (both headers at once is a response Node.js's HTTP client refuses).
                const { 'transfer-encoding': _chunked, ...upstreamHeaders } = response.headers;
                const outHeaders: IncomingHttpHeaders = {
                  ...upstreamHeaders,
                  'content-length': String(out.length),
                };
                if (out !== raw && outHeaders['x-amz-crc32'] !== undefined) {
                  outHeaders['x-amz-crc32'] = String(crc32(out as Uint8Array) >>> 0);
                }
                res.writeHead(response.statusCode ?? 502, outHeaders);
                res.end(out);
              });
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
        const delay = this.addedLatency(operation);
        if (delay > 0) setTimeout(forward, delay);
        else forward();
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  /** Bills a response and returns the body to send on (without the capacity report nobody asked for). */
  private meterResponse(
    operation: string,
    metered: { items: Touch[]; strip: boolean },
    status: number,
    raw: Buffer,
  ): Buffer {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return raw;
    }
    if (status !== 200) {
      this.billRefusal(operation, metered.items, String(parsed.__type ?? ''));
      return raw;
    }
    const consumed = parsed.ConsumedCapacity as CapacityReport | CapacityReport[] | undefined;
    if (consumed === undefined) return raw;
    this.bill(operation, metered.items, Array.isArray(consumed) ? consumed : [consumed]);
    if (!metered.strip) return raw;
    delete parsed.ConsumedCapacity;
    return Buffer.from(JSON.stringify(parsed));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
