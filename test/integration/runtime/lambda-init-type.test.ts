import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '#localstack/runtime/lambda';
import { LogSink } from '#localstack/runtime/logs';
import { ROOT } from '#test/helpers/local-runtime';

const INIT_TYPE = join(ROOT, 'test/fixtures/functions/init-type.mjs');

describe('Class: LocalLambda (AWS_LAMBDA_INITIALIZATION_TYPE)', () => {
  const logs = new LogSink(join(mkdtempSync(join(tmpdir(), 'lambda-init-type-')), 'log'), false);
  const started: LocalLambda[] = [];

  const lambda = () => {
    const fn = new LocalLambda(
      {
        logicalId: 'InitType',
        name: 'init-type',
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:init-type',
        handlerFile: INIT_TYPE,
        handlerExport: 'handler',
        environment: {},
        timeoutMs: 10_000,
        memoryMb: 128,
      },
      logs,
      1,
    );
    started.push(fn);
    return fn;
  };

  afterAll(async () => {
    await Promise.all(started.map((fn) => fn.stop()));
    await logs.close();
  });

  it('tells an environment provisioned ahead of its invocations that it is provisioned-concurrency', async () => {
    // Prepare
    const fn = lambda();
    await fn.provision(1);

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result).toEqual({ ok: true, payload: { initType: 'provisioned-concurrency' } });
    expect(fn.coldStarts).toBe(1);
  });

  it('tells an environment started by an invocation that it is on-demand', async () => {
    // Prepare
    const fn = lambda();

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result).toEqual({ ok: true, payload: { initType: 'on-demand' } });
  });
});
