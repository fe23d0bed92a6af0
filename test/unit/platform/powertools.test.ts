import '#test/unit/setup-env';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inRecordScope, logger, tracer } from '#platform/powertools';

/** A stand-in for an X-Ray segment: records the subsegments opened under it. */
function fakeSegment() {
  const subsegment = { close: vi.fn(), addError: vi.fn() };
  const segment = { addNewSubsegment: vi.fn(() => subsegment) };
  return { segment, subsegment };
}

/** Tracing on, with `segment` as the current segment; answers the segments set as current. */
function traceWith(segment: unknown) {
  vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
  vi.spyOn(tracer, 'getSegment').mockReturnValue(segment as ReturnType<typeof tracer.getSegment>);
  const annotate = vi.spyOn(tracer, 'putAnnotation').mockImplementation(() => undefined);
  const metadata = vi.spyOn(tracer, 'putMetadata').mockImplementation(() => undefined);
  const set = vi.spyOn(tracer, 'setSegment').mockImplementation(() => undefined);
  return { annotate, metadata, set };
}

const SCOPE = {
  eventId: '01JN8S7QG07VXVQKXB80JART8R',
  eventType: 'OrderCreated',
  orderId: 'order-1',
  correlationId: 'saga-1',
  trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
};

describe('Function: inRecordScope', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('runs the work in an annotated subsegment of the current segment and restores the segment after', async () => {
    // Prepare
    const { segment, subsegment } = fakeSegment();
    const { annotate, metadata, set } = traceWith(segment);

    // Act
    const result = await inRecordScope(SCOPE, async () => 'done');

    // Assess
    expect(result).toBe('done');
    expect(segment.addNewSubsegment).toHaveBeenCalledWith('### OrderCreated');
    expect(annotate.mock.calls).toEqual([
      ['orderId', 'order-1'],
      ['eventType', 'OrderCreated'],
      ['correlationId', 'saga-1'],
    ]);
    expect(metadata).toHaveBeenCalledWith('trace', SCOPE.trace);
    expect(set.mock.calls).toEqual([[subsegment], [segment]]);
    expect(subsegment.close).toHaveBeenCalledTimes(1);
  });

  it('records the error of failed work on the subsegment, closes it and rethrows', async () => {
    // Prepare
    const { segment, subsegment } = fakeSegment();
    traceWith(segment);
    const failure = new Error('storage down');

    // Act
    const outcome = inRecordScope(SCOPE, async () => {
      throw failure;
    });

    // Assess
    await expect(outcome).rejects.toBe(failure);
    expect(subsegment.addError).toHaveBeenCalledWith(failure);
    expect(subsegment.close).toHaveBeenCalledTimes(1);
  });

  it('puts the record on the log lines written inside the scope only, even when the work fails', async () => {
    // Prepare
    const seen: Record<string, unknown>[] = [];
    vi.spyOn(console, 'info').mockImplementation((line: string) => {
      seen.push(JSON.parse(line) as Record<string, unknown>);
    });
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');

    // Act
    try {
      await inRecordScope(SCOPE, async () => logger.info('inside'));
      await inRecordScope({ ...SCOPE, correlationId: undefined }, async () => {
        logger.info('inside, failing');
        throw new Error('handler bug');
      }).catch(() => undefined);
      logger.info('outside');
    } finally {
      logger.setLogLevel(level);
    }

    // Assess
    expect(seen.map((line) => line.message)).toEqual(['inside', 'inside, failing', 'outside']);
    expect(seen[0]).toMatchObject({
      correlationId: 'saga-1',
      orderId: 'order-1',
      eventId: SCOPE.eventId,
      eventType: 'OrderCreated',
    });
    expect(seen[1]).toMatchObject({ orderId: 'order-1' });
    expect(seen[1]).not.toHaveProperty('correlationId');
    expect(seen[2]).not.toHaveProperty('orderId');
    expect(seen[2]).not.toHaveProperty('eventId');
  });

  it('annotates the subsegment itself and leaves the current segment alone when records run side by side', async () => {
    // Prepare
    const { segment } = fakeSegment();
    const subsegment = { close: vi.fn(), addError: vi.fn(), addAnnotation: vi.fn(), addMetadata: vi.fn() };
    segment.addNewSubsegment.mockReturnValue(subsegment);
    const { annotate, set } = traceWith(undefined);

    // Act
    await inRecordScope(SCOPE, async () => undefined, {
      withinSegment: segment as unknown as ReturnType<typeof tracer.getSegment>,
    });

    // Assess
    expect(segment.addNewSubsegment).toHaveBeenCalledWith('### OrderCreated');
    expect(subsegment.addAnnotation.mock.calls).toEqual([
      ['orderId', 'order-1'],
      ['eventType', 'OrderCreated'],
      ['correlationId', 'saga-1'],
    ]);
    expect(subsegment.addMetadata).toHaveBeenCalledWith('trace', SCOPE.trace);
    expect(subsegment.close).toHaveBeenCalledTimes(1);
    expect(annotate).not.toHaveBeenCalled();
    expect(set).not.toHaveBeenCalled();
  });

  it('keeps the keys of scopes that run at the same time apart', async () => {
    // Prepare
    const seen: Record<string, unknown>[] = [];
    vi.spyOn(console, 'info').mockImplementation((line: string) => {
      seen.push(JSON.parse(line) as Record<string, unknown>);
    });
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    const step = () => new Promise((resolve) => setImmediate(resolve));

    // Act: a and b interleave their lines.
    try {
      await Promise.all(
        ['a', 'b'].map((name) =>
          inRecordScope({ ...SCOPE, orderId: `order-${name}`, correlationId: `saga-${name}` }, async () => {
            logger.info(name);
            await step();
            logger.info(name);
          }),
        ),
      );
    } finally {
      logger.setLogLevel(level);
    }

    // Assess
    expect(seen.map((line) => line.message)).toEqual(['a', 'b', 'a', 'b']);
    for (const line of seen) {
      expect(line).toMatchObject({ orderId: `order-${line.message}`, correlationId: `saga-${line.message}` });
    }
  });

  it('opens no subsegment when tracing is off', async () => {
    // Prepare
    vi.spyOn(tracer, 'isTracingEnabled').mockReturnValue(false);
    const getSegment = vi.spyOn(tracer, 'getSegment');

    // Act
    await inRecordScope(SCOPE, async () => undefined);

    // Assess
    expect(getSegment).not.toHaveBeenCalled();
  });
});
