import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { ROOT } from '#test/helpers/local-runtime';

const NODE_VERSION = join(ROOT, 'test/fixtures/functions/node-version.mjs');

describe('Class: LocalLambda (Node.js of the Lambda runtime)', () => {
  const logs = new LogSink(join(mkdtempSync(join(tmpdir(), 'lambda-node-')), 'log'), false);
  const started: LocalLambda[] = [];

  const lambda = (runtime: string | undefined) => {
    const fn = new LocalLambda(
      {
        logicalId: 'NodeVersion',
        name: 'node-version',
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:node-version',
        handlerFile: NODE_VERSION,
        handlerExport: 'handler',
        environment: {},
        timeoutMs: 10_000,
        memoryMb: 128,
        ...(runtime === undefined ? {} : { runtime }),
      },
      logs,
    );
    started.push(fn);
    return fn;
  };

  afterAll(async () => {
    await Promise.all(started.map((fn) => fn.stop()));
    await logs.close();
  });

  it('runs a nodejs24.x function on Node.js 24 ', async () => {
    // Prepare
    const fn = lambda('nodejs24.x');

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result).toEqual({
      ok: true,
      payload: { node: expect.stringMatching(/^v24\./), execArgv: [], event: {} },
    });
  });

  it('starts an environment without the options of the process that runs the runtime (e.g. a TypeScript loader)', async () => {
    // Prepare: the runtime itself runs with an option (tsx adds its loader this way).
    const fn = lambda('nodejs24.x');
    process.execArgv.push('--max-old-space-size=512');

    // Act
    let result: Awaited<ReturnType<LocalLambda['invoke']>>;
    try {
      result = await fn.invoke({});
    } finally {
      process.execArgv.pop();
    }

    // Assess: Lambda starts Node.js with the function's NODE_OPTIONS only.
    expect(result).toMatchObject({ ok: true, payload: { execArgv: [] } });
  });

  it('passes events and results as JSON, as Lambda does', async () => {
    // Prepare
    const fn = lambda('nodejs24.x');

    // Act
    const result = await fn.invoke({ at: new Date(0), missing: undefined });

    // Assess
    expect(result).toMatchObject({ ok: true, payload: { event: { at: '1970-01-01T00:00:00.000Z' } } });
    expect(Object.keys((result as { payload: { event: object } }).payload.event)).toEqual(['at']);
  });

  it('fails the invocation with the reason when the runtime is not Node.js', async () => {
    // Prepare
    const fn = lambda('python3.13');

    // Act
    const act = fn.invoke({});

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'FunctionStartError',
      cause: { name: 'LambdaNodeError', message: expect.stringContaining('python3.13') },
    });
  });

  it('starts execution environments ahead of invocations when provisioned, so the first invocation is warm', async () => {
    // Prepare
    const fn = lambda('nodejs24.x');

    // Act
    await fn.provision(2);
    const result = await fn.invoke({});

    // Assess
    expect(result).toMatchObject({ ok: true });
    expect(fn.coldStarts).toBe(2);
    expect(fn.durationMs).toBeGreaterThanOrEqual(0);
    await fn.provision(1);
    expect(fn.coldStarts).toBe(2);
  });
});
