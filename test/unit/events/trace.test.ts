import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  continueTrace,
  currentXrayTraceHeader,
  parseEvent,
  parseTraceparent,
  TRACEPARENT_PATTERN,
  traceIdOfXrayHeader,
} from '#events';
import { sample } from './helpers';

const XRAY = 'Root=1-67c2f1a0-4bf92f3577b34da6a3ce929d;Parent=00f067aa0ba902b7;Sampled=1';
const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('Function: continueTrace', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('keeps the trace id and flags of the parent and draws a new span id when the parent has a traceparent', () => {
    // Prepare
    const parent = { traceparent: PARENT.replace(/-01$/, '-00') };

    // Act
    const context = continueTrace(parent, undefined);

    // Assess
    const continued = parseTraceparent(context.traceparent);
    expect(continued).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', flags: '00' });
    expect(continued?.spanId).not.toBe('00f067aa0ba902b7');
    expect(context).not.toHaveProperty('xrayTraceHeader');
  });

  it('carries the X-Ray header of the current invocation when it runs traced', () => {
    // Prepare
    vi.stubEnv('_X_AMZN_TRACE_ID', XRAY);

    // Act
    const context = continueTrace({ traceparent: PARENT });

    // Assess
    expect(context.xrayTraceHeader).toBe(XRAY);
    expect(parseTraceparent(context.traceparent)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('starts the trace in the X-Ray trace when there is no parent trace', () => {
    // Prepare
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0';

    // Act
    const context = continueTrace(undefined, header);

    // Assess
    expect(context.traceparent).toMatch(/^00-5759e988bd862e3fe1be46a994272793-[0-9a-f]{16}-00$/);
    expect(context.xrayTraceHeader).toBe(header);
  });

  it('starts a new random, sampled trace when there is neither a parent trace nor an X-Ray header', () => {
    // Prepare
    vi.stubEnv('_X_AMZN_TRACE_ID', '');

    // Act
    const first = continueTrace();
    const second = continueTrace({});

    // Assess
    expect(first.traceparent).toMatch(TRACEPARENT_PATTERN);
    expect(first.traceparent).toMatch(/-01$/);
    expect(parseTraceparent(first.traceparent)?.traceId).not.toBe(
      parseTraceparent(second.traceparent)?.traceId,
    );
    expect(first).not.toHaveProperty('xrayTraceHeader');
  });

  it('starts a new trace when the parent traceparent is malformed or all zero', () => {
    // Prepare
    const malformed = { traceparent: 'not-a-traceparent' };
    const zero = { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` };

    // Act
    const fromMalformed = continueTrace(malformed, undefined);
    const fromZero = continueTrace(zero, undefined);

    // Assess
    expect(fromMalformed.traceparent).toMatch(TRACEPARENT_PATTERN);
    expect(parseTraceparent(fromZero.traceparent)?.traceId).not.toBe('0'.repeat(32));
  });
});

describe('Function: traceIdOfXrayHeader', () => {
  it('joins the two parts of the X-Ray root into a W3C trace id', () => {
    // Act
    const traceId = traceIdOfXrayHeader(XRAY);

    // Assess
    expect(traceId).toBe('67c2f1a04bf92f3577b34da6a3ce929d');
  });

  it('answers undefined for a header without a root', () => {
    // Act
    const traceId = traceIdOfXrayHeader('Parent=00f067aa0ba902b7;Sampled=1');

    // Assess
    expect(traceId).toBeUndefined();
    expect(traceIdOfXrayHeader(undefined)).toBeUndefined();
  });
});

describe('Function: currentXrayTraceHeader', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads _X_AMZN_TRACE_ID of the invocation', () => {
    // Prepare
    vi.stubEnv('_X_AMZN_TRACE_ID', XRAY);

    // Act
    const header = currentXrayTraceHeader();

    // Assess
    expect(header).toBe(XRAY);
  });
});

describe('Envelope trace (compatibility)', () => {
  it('parses an event without a trace, as written before events carried one', () => {
    // Prepare
    const { trace: _trace, ...old } = { ...sample('StockReserved'), trace: undefined };

    // Act
    const result = parseEvent(JSON.stringify(old));

    // Assess
    expect(result.ok).toBe(true);
    expect(result.ok && result.event).not.toHaveProperty('trace');
  });

  it('parses an event whose trace carries both headers', () => {
    // Prepare
    const traced = { ...sample('StockReserved'), trace: { traceparent: PARENT, xrayTraceHeader: XRAY } };

    // Act
    const result = parseEvent(JSON.stringify(traced));

    // Assess
    expect(result.ok && result.event.trace).toEqual({ traceparent: PARENT, xrayTraceHeader: XRAY });
  });
});
