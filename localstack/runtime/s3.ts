import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalFunctions } from './functions';
import type { LocalLambda } from './lambda';
import type { LogSink } from './logs';
import { LOCAL_REGION, type Resolver } from './resolve';
import { resourcesOfType, type StackTemplate } from './template';

/** An object of a local bucket. */
export interface LocalObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

/** A `LambdaFunctionConfiguration` of a bucket's notification configuration. */
interface LambdaNotification {
  fn: LocalLambda;
  events: string[];
  prefix: string;
  suffix: string;
}

/** An asynchronous invocation a notification started, for tests to wait on. */
export interface NotificationDelivery {
  bucket: string;
  key: string;
  functionName: string;
  done: Promise<void>;
  ok?: boolean;
}

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Whether an S3 event name (`s3:ObjectCreated:Put`) matches a configured one (`s3:ObjectCreated:*`). */
export function matchesEvent(configured: string, event: string): boolean {
  if (configured === event) return true;
  return configured.endsWith(':*') && event.startsWith(configured.slice(0, -1));
}

/** The S3 event notification record of a new object, as S3 sends it to Lambda (version 2.1). */
export function objectCreatedEvent(bucket: string, key: string, object: LocalObject, sequencer: number) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: LOCAL_REGION,
        eventTime: object.lastModified.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': randomUUID() },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'local',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'local' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            // S3 URL-encodes keys in notifications, spaces as `+`.
            key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'),
            size: object.body.length,
            eTag: object.etag,
            sequencer: sequencer.toString(16).toUpperCase().padStart(16, '0'),
          },
        },
      },
    ],
  };
}

/**
 * The template's S3 buckets, in memory: objects written by the runtime (the event source mappings'
 * S3 on-failure destinations) or by functions through the S3 API this class serves (path-style:
 * GetObject, HeadObject, PutObject, DeleteObject, ListObjectsV2 on `AWS_ENDPOINT_URL_S3`). A new object
 * invokes, asynchronously, the functions of the bucket's notification configuration
 * (`Custom::S3BucketNotifications`, which CDK creates for `addEventNotification`, or the bucket's own
 * `NotificationConfiguration`) with the S3 event, as S3 does.
 */
export class LocalS3 {
  readonly buckets = new Map<string, Map<string, LocalObject>>();
  /** Every notification invocation started, in order. */
  readonly deliveries: NotificationDelivery[] = [];
  private readonly notifications = new Map<string, LambdaNotification[]>();
  private server: Server | undefined;
  private sequencer = 0;
  url = '';

  constructor(private readonly logs: LogSink) {}

  /**
   * Creates the buckets of the templates and reads the notifications of each; the functions must be
   * defined (they get the endpoint of this API first, hence not in the constructor).
   */
  load(stacks: readonly StackTemplate[], resolver: Resolver, functions: LocalFunctions): this {
    for (const { stack, logicalId, resource } of resourcesOfType(stacks, 'AWS::S3::Bucket')) {
      const name = resolver.resolveString(stack, { Ref: logicalId });
      this.buckets.set(name, new Map());
      const own = (resource.Properties?.NotificationConfiguration as { LambdaConfigurations?: unknown[] })
        ?.LambdaConfigurations;
      for (const config of own ?? []) {
        this.addNotification(name, resolver.resolve(stack, config), 'Function', 'Event', functions);
      }
    }
    for (const { stack, resource } of resourcesOfType(stacks, 'Custom::S3BucketNotifications')) {
      const name = resolver.resolveString(stack, resource.Properties?.BucketName);
      const configuration = resolver.resolve(stack, resource.Properties?.NotificationConfiguration) as
        | { LambdaFunctionConfigurations?: unknown[] }
        | undefined;
      for (const config of configuration?.LambdaFunctionConfigurations ?? []) {
        this.addNotification(name, config, 'LambdaFunctionArn', 'Events', functions);
      }
    }
    return this;
  }

  private addNotification(
    bucket: string,
    config: unknown,
    functionKey: string,
    eventsKey: string,
    functions: LocalFunctions,
  ): void {
    const entry = config as Record<string, unknown>;
    const fn = functions.get(entry[functionKey]);
    if (!fn) return;
    const events = [entry[eventsKey]].flat().map(String);
    const rules =
      (entry.Filter as { Key?: { FilterRules?: { Name: string; Value: string }[] } } | undefined)?.Key
        ?.FilterRules ?? [];
    const rule = (name: string) => rules.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
    const list = this.notifications.get(bucket) ?? [];
    list.push({ fn, events, prefix: rule('prefix'), suffix: rule('suffix') });
    this.notifications.set(bucket, list);
  }

  /** Stores an object and notifies the bucket's functions, as a PutObject does. */
  putObject(
    bucket: string,
    key: string,
    body: Buffer | string,
    contentType = 'application/json',
  ): LocalObject {
    const objects = this.buckets.get(bucket);
    if (!objects) throw new Error(`No local bucket ${bucket}`);
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const object: LocalObject = {
      body: bytes,
      contentType,
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      lastModified: new Date(),
    };
    objects.set(key, object);
    this.notify(bucket, key, object);
    return object;
  }

  getObject(bucket: string, key: string): LocalObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  /** Resolves when every notification started so far has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.deliveries.map((delivery) => delivery.done));
  }

  private notify(bucket: string, key: string, object: LocalObject): void {
    for (const notification of this.notifications.get(bucket) ?? []) {
      if (!notification.events.some((event) => matchesEvent(event, 's3:ObjectCreated:Put'))) continue;
      if (!key.startsWith(notification.prefix) || !key.endsWith(notification.suffix)) continue;
      const event = objectCreatedEvent(bucket, key, object, ++this.sequencer);
      const delivery: NotificationDelivery = {
        bucket,
        key,
        functionName: notification.fn.definition.name,
        done: Promise.resolve(),
      };
      delivery.done = notification.fn.invoke(event).then(
        (result) => {
          delivery.ok = result.ok;
          if (!result.ok) {
            this.logs.write(
              's3',
              `s3://${bucket}/${key}: ${delivery.functionName} failed: ${result.error.errorType}: ${result.error.errorMessage}`,
            );
          }
        },
        (error: unknown) => {
          delivery.ok = false;
          this.logs.write('s3', `s3://${bucket}/${key}: ${delivery.functionName} failed: ${String(error)}`);
        },
      );
      this.deliveries.push(delivery);
    }
  }

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks as Uint8Array[])));
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await Promise.all(this.deliveries.map((delivery) => delivery.done));
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Path-style requests: `/<bucket>` and `/<bucket>/<key>`. */
  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [bucketSegment = '', ...keySegments] = url.pathname.slice(1).split('/');
    const bucket = decodeURIComponent(bucketSegment);
    const key = keySegments.map(decodeURIComponent).join('/');
    const objects = this.buckets.get(bucket);
    if (!objects) {
      this.error(res, 404, 'NoSuchBucket', `The bucket ${bucket} does not exist`);
      return;
    }
    const method = req.method ?? 'GET';
    if (key === '') {
      if (method === 'GET' && url.searchParams.get('list-type') === '2') {
        this.list(res, bucket, objects, url.searchParams.get('prefix') ?? '');
      } else {
        this.error(res, 501, 'NotImplemented', `${method} on a bucket is not emulated`);
      }
      return;
    }
    if (method === 'PUT') {
      const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream');
      const object = this.putObject(bucket, key, body, contentType);
      res.writeHead(200, { etag: object.etag, 'content-length': 0 });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      objects.delete(key);
      res.writeHead(204);
      res.end();
      return;
    }
    const object = objects.get(key);
    if (!object) {
      this.error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      this.error(res, 405, 'MethodNotAllowed', `${method} is not allowed`);
      return;
    }
    res.writeHead(200, {
      'content-type': object.contentType,
      'content-length': object.body.length,
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
    });
    res.end(method === 'HEAD' ? undefined : object.body);
  }

  private list(res: ServerResponse, bucket: string, objects: Map<string, LocalObject>, prefix: string): void {
    const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    const contents = keys
      .map((key) => {
        const object = objects.get(key) as LocalObject;
        return `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

/** The key Lambda gives an on-failure object of a Kafka mapping (one per batch and partition). */
export function onFailureObjectKey(mappingUuid: string, partitionKey: string, now: Date): string {
  const iso = now.toISOString();
  const day = iso.slice(0, 10).replace(/-/g, '/');
  return `aws/lambda/${mappingUuid}/${partitionKey}/${day}/${iso.slice(0, 19).replace(/:/g, '.')}-${randomUUID()}`;
}
