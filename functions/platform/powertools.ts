import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogAttributes, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { TraceContext } from '#events';
import type { MetricSpec } from './contract';
import { maskContactsReplacer } from './redact';

/**
 * One logger, metrics and tracer per container. Service name and namespace come from
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by the function construct from the
 * function's contract; the metrics' `service` dimension is that service name.
 *
 * No log line carries an email address or phone number unmasked: every string value written, error
 * messages and causes included, goes through `maskContacts` (`a***@example.com`, `+44******1234`).
 */
export const logger: Logger = new (class RecordScopedLogger extends Logger {
  override trace(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    super.trace(withRecordKeys(input), ...extra);
  }
  override debug(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    super.debug(withRecordKeys(input), ...extra);
  }
  override info(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    super.info(withRecordKeys(input), ...extra);
  }
  override warn(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    super.warn(withRecordKeys(input), ...extra);
  }
  override error(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    super.error(withRecordKeys(input), ...extra);
  }
  override critical(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    super.critical(withRecordKeys(input), ...extra);
  }
})({ jsonReplacerFn: maskContactsReplacer });
export const metrics = new Metrics();
export const tracer = new Tracer();

/**
 * The only way functions emit business metrics: a counter of the names a contract (or a platform
 * component's spec) declares, each with its declared unit.
 */
export function metricsOf<M extends MetricSpec>(spec: M) {
  return (name: keyof M & string, value = 1): void => {
    metrics.addMetric(name, MetricUnit[spec[name] as MetricSpec[string]], value);
  };
}

export interface InstrumentOptions<E, R> {
  /** Emit the ColdStart metric (API functions). @default false */
  readonly coldStartMetric?: boolean;
  /**
   * Record the handler's response in its X-Ray segment. API handlers turn it off: their responses hold
   * customer data (orders, dead letters), which must not leave the function in traces. @default true
   */
  readonly captureResponse?: boolean;
  /** Further middleware, run inside the Powertools ones (e.g. the HTTP error mapper). */
  readonly middlewares?: readonly MiddlewareObj<E, R>[];
}

/**
 * Wraps a handler in the platform's middleware, outermost first: the tracer (a segment per
 * invocation), the logger (Lambda context on every line, keys reset per invocation), metrics (flushed
 * once per invocation), then `middlewares`, then the handler.
 */
export function instrumented<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  options: InstrumentOptions<E, R> = {},
) {
  const chain = middy<E, R>()
    .use(captureLambdaHandler(tracer, { captureResponse: options.captureResponse ?? true }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: options.coldStartMetric ?? false }));
  for (const middleware of options.middlewares ?? []) chain.use(middleware);
  return chain.handler(handler);
}

/** The event one record (a consumed message, a published outbox row) is about. */
export interface RecordScope {
  readonly eventId: string;
  readonly eventType: string;
  readonly orderId: string;
  /** Absent only for a row whose envelope does not name one. */
  readonly correlationId?: string | undefined;
  /** The event's trace context, recorded as metadata of the record's subsegment. */
  readonly trace?: TraceContext | undefined;
}

/** Logger keys of a record's scope: on the lines written in it, never on another record's. */
export const RECORD_LOG_KEYS = ['correlationId', 'orderId', 'eventId', 'eventType'] as const;

/**
 * The record keys of the scope the code runs in. Held per asynchronous context rather than appended
 * to the logger, so records processed side by side (different partitions of one batch) each log
 * their own keys.
 */
const recordKeys = new AsyncLocalStorage<LogAttributes>();

/** A log line's input with the keys of the record scope it is written in, if any. */
function withRecordKeys(input: LogItemMessage): LogItemMessage {
  const keys = recordKeys.getStore();
  if (keys === undefined) return input;
  return typeof input === 'string' ? { ...keys, message: input } : { ...keys, ...input };
}

/** How a record scope reaches its X-Ray subsegment. */
export interface RecordScopeOptions {
  /**
   * Other records are processed at the same time (`withinSegment` is the invocation's segment):
   * the subsegment is opened under it and annotated directly, and never made the current segment,
   * which is one per process (AWS SDK calls of the record are then traced on the invocation's
   * segment). Unset: the record's subsegment is the current segment while `work` runs.
   */
  readonly withinSegment?: ReturnType<Tracer['getSegment']>;
}

/**
 * Runs `work` in the scope of one record: a Tracer subsegment `### <eventType>` (when tracing is on)
 * annotated with `orderId`, `correlationId` and `eventType`, with the event's trace context as
 * metadata, and the record's `correlationId`, `orderId`, `eventId` and `eventType` on every log line
 * written meanwhile (in this asynchronous context only). The subsegment is closed when `work` ends,
 * however it ends.
 */
export async function inRecordScope<T>(
  scope: RecordScope,
  work: () => Promise<T>,
  options: RecordScopeOptions = {},
): Promise<T> {
  const concurrent = 'withinSegment' in options;
  const parent = tracer.isTracingEnabled()
    ? concurrent
      ? options.withinSegment
      : tracer.getSegment()
    : undefined;
  const subsegment = parent?.addNewSubsegment(`### ${scope.eventType}`);
  if (concurrent) {
    subsegment?.addAnnotation('orderId', scope.orderId);
    subsegment?.addAnnotation('eventType', scope.eventType);
    if (scope.correlationId !== undefined) subsegment?.addAnnotation('correlationId', scope.correlationId);
    if (scope.trace !== undefined) subsegment?.addMetadata('trace', scope.trace);
  } else {
    if (subsegment) tracer.setSegment(subsegment);
    tracer.putAnnotation('orderId', scope.orderId);
    tracer.putAnnotation('eventType', scope.eventType);
    if (scope.correlationId !== undefined) tracer.putAnnotation('correlationId', scope.correlationId);
    if (scope.trace !== undefined) tracer.putMetadata('trace', scope.trace);
  }
  const keys: LogAttributes = {
    eventId: scope.eventId,
    eventType: scope.eventType,
    orderId: scope.orderId,
    ...(scope.correlationId === undefined ? {} : { correlationId: scope.correlationId }),
  };
  try {
    return await recordKeys.run(keys, work);
  } catch (error) {
    subsegment?.addError(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (subsegment && parent && !concurrent) tracer.setSegment(parent);
  }
}
