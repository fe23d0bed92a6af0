import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { MetricSpec } from './contract';

/**
 * One logger, metrics and tracer per container. Service name and namespace come from
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by the function construct from the
 * function's contract; the metrics' `service` dimension is that service name.
 */
export const logger = new Logger();
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
