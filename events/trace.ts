import { randomBytes } from 'node:crypto';
import type { TraceContext } from './envelope';

/** W3C trace context header: version 00, 32 hex trace id, 16 hex parent (span) id, 2 hex flags. */
export const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** X-Ray root: `1-<8 hex epoch seconds>-<24 hex random>`, the same 128 bits as a W3C trace id. */
const XRAY_ROOT_PATTERN = /(?:^|;)\s*Root=1-([0-9a-f]{8})-([0-9a-f]{24})(?:;|$)/;
const XRAY_SAMPLED_PATTERN = /(?:^|;)\s*Sampled=([01])(?:;|$)/;

const ALL_ZERO = /^0+$/;

function randomHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    // All-zero ids are invalid in W3C trace context.
    if (!ALL_ZERO.test(hex)) return hex;
  }
}

/** The trace id and flags of a W3C `traceparent`, or undefined when it is not a valid one. */
export function parseTraceparent(
  traceparent: string | undefined,
): { traceId: string; spanId: string; flags: string } | undefined {
  const match = traceparent === undefined ? null : TRACEPARENT_PATTERN.exec(traceparent);
  if (!match) return undefined;
  const [, traceId = '', spanId = '', flags = ''] = match;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

/** The W3C trace id of an X-Ray trace header (`Root=1-5759e988-bd862e3fe1be46a994272793;...`). */
export function traceIdOfXrayHeader(header: string | undefined): string | undefined {
  const match = header === undefined ? null : XRAY_ROOT_PATTERN.exec(header);
  return match ? `${match[1]}${match[2]}` : undefined;
}

/** The X-Ray trace header of the current Lambda invocation, when it runs traced. */
export function currentXrayTraceHeader(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  return header === undefined || header === '' ? undefined : header;
}

/**
 * The trace context of a new event: the X-Ray header of the current invocation, and a W3C
 * `traceparent` with a new span id that continues the trace of `parent` (the event reacted to). Without
 * a parent trace (the first event of a saga, or a parent from before events carried one) the trace id
 * is the current X-Ray trace's, so both headers name the same trace, or else a new random one.
 */
export function continueTrace(
  parent?: Pick<TraceContext, 'traceparent'>,
  xrayTraceHeader: string | undefined = currentXrayTraceHeader(),
): TraceContext {
  const continued = parseTraceparent(parent?.traceparent);
  const sampled = xrayTraceHeader === undefined ? undefined : XRAY_SAMPLED_PATTERN.exec(xrayTraceHeader)?.[1];
  const traceId = continued?.traceId ?? traceIdOfXrayHeader(xrayTraceHeader) ?? randomHex(16);
  const flags = continued?.flags ?? (sampled === '0' ? '00' : '01');
  return {
    traceparent: `00-${traceId}-${randomHex(8)}-${flags}`,
    ...(xrayTraceHeader === undefined ? {} : { xrayTraceHeader }),
  };
}
